import Foundation

/// Splits a byte stream into RFC 4180 records, one at a time, into a reused
/// buffer: fields separated by `,`, records by `\n` or `\r\n`, fields in
/// double quotes may hold commas, newlines and doubled quotes (`""`).
final class CSVRecordReader {
    private let source: ByteSource
    private let path: String
    private let maxRecordBytes: Int
    private var chunk: [UInt8]
    private var chunkLength = 0
    private var chunkPosition = 0
    private var atEnd = false
    private var line = 1

    /// The bytes of the current record's fields, back to back.
    private(set) var bytes: [UInt8] = []
    /// The end offset in `bytes` of each field of the current record.
    private(set) var fieldEnds: [Int] = []
    /// The line on which the current record starts (1-based).
    private(set) var recordLine = 0
    /// Decoded bytes consumed so far.
    private(set) var consumed = 0

    init(source: ByteSource, path: String, maxRecordBytes: Int) {
        self.source = source
        self.path = path
        self.maxRecordBytes = maxRecordBytes
        self.chunk = [UInt8](repeating: 0, count: 1 << 18)
        bytes.reserveCapacity(4096)
    }

    /// Number of fields in the current record.
    var fieldCount: Int { fieldEnds.count }

    /// The byte range of field `i` of the current record.
    func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : fieldEnds[i - 1])..<fieldEnds[i] }

    /// Field `i` as a string, or nil when it is not valid UTF-8.
    func string(_ i: Int) -> String? {
        bytes[range(i)].withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
    }

    private func error(_ reason: String) -> FairAuditError {
        .invalidInput(path: path, reason: reason)
    }

    /// The next byte, or nil at the end of the input.
    @inline(__always) private func nextByte() throws -> UInt8? {
        if chunkPosition == chunkLength {
            if atEnd { return nil }
            chunkLength = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            chunkPosition = 0
            if chunkLength == 0 { atEnd = true; return nil }
        }
        let b = chunk[chunkPosition]
        chunkPosition += 1
        consumed += 1
        return b
    }

    /// Reads the next non-blank record; false at the end of the input.
    func next() throws -> Bool {
        while true {
            guard let got = try readRecord() else { return false }
            // A blank line is one empty, unquoted field: skip it as pandas does.
            if got.sawContent || fieldEnds.count > 1 { return true }
        }
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Reads one physical record; nil at the end of the input.
    private func readRecord() throws -> (sawContent: Bool, Void)? {
        bytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        recordLine = line
        var state = State.fieldStart
        var sawContent = false
        var readAny = false
        while true {
            guard let b = try nextByte() else {
                if !readAny { return nil }
                if state == .quoted {
                    throw error("line \(recordLine): a quoted field is not closed before the end of the file")
                }
                fieldEnds.append(bytes.count)
                return (sawContent, ())
            }
            readAny = true
            if bytes.count > maxRecordBytes {
                throw error("line \(recordLine): the record is longer than \(maxRecordBytes) bytes")
            }
            switch state {
            case .quoted:
                if b == UInt8(ascii: "\"") { state = .quoteInQuoted } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    bytes.append(b)
                }
            case .quoteInQuoted where b == UInt8(ascii: "\""):
                bytes.append(b); state = .quoted
            case .fieldStart where b == UInt8(ascii: "\""):
                state = .quoted; sawContent = true
            default:
                switch b {
                case UInt8(ascii: ","):
                    fieldEnds.append(bytes.count); state = .fieldStart; sawContent = true
                case UInt8(ascii: "\n"):
                    line += 1
                    fieldEnds.append(bytes.count)
                    return (sawContent, ())
                case UInt8(ascii: "\r"):
                    break  // part of a CRLF line end
                default:
                    bytes.append(b); state = .unquoted; sawContent = true
                }
            }
        }
    }
}
