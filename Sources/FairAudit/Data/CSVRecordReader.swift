import Foundation

/// Splits a byte stream into RFC 4180 records, one at a time, into a reused
/// buffer: fields separated by `,`, records by `\n` or `\r\n`, fields in
/// double quotes may hold commas, newlines and doubled quotes (`""`).
///
/// Each field is stored followed by a NUL byte, so numbers can be parsed in place.
final class CSVRecordReader {
    private let source: ByteSource
    private let path: String
    private let maxRecordBytes: Int
    private var chunk: [UInt8]
    private var chunkLength = 0
    private var chunkPosition = 0
    private var consumedBefore = 0
    private var atEnd = false
    private var line = 1

    /// The bytes of the current record's fields, each followed by a NUL.
    private(set) var bytes: [UInt8] = []
    /// The end offset in `bytes` of each field of the current record (before its NUL).
    private(set) var fieldEnds: [Int] = []
    /// The line on which the current record starts (1-based).
    private(set) var recordLine = 0
    /// Decoded bytes consumed so far.
    var consumed: Int { consumedBefore + chunkPosition }

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
    func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : fieldEnds[i - 1] + 1)..<fieldEnds[i] }

    /// Field `i` as a string, or nil when it is not valid UTF-8.
    func string(_ i: Int) -> String? {
        bytes[range(i)].withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
    }

    /// Reads the next non-blank record; false at the end of the input.
    func next() throws -> Bool {
        while true {
            guard let sawContent = try readRecord() else { return false }
            // A blank line is one empty, unquoted field: skip it as pandas does.
            if sawContent || fieldEnds.count > 1 { return true }
        }
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Refills the chunk; false at the end of the input.
    private func refill() throws -> Bool {
        if atEnd { return false }
        consumedBefore += chunkLength
        chunkLength = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        chunkPosition = 0
        if chunkLength == 0 {
            atEnd = true
            return false
        }
        return true
    }

    /// Reads one physical record; nil at the end of the input, else whether
    /// it held any content (a character, a comma or a quote). Works on local
    /// copies of the buffers (swapped back at the end) so the byte loop runs
    /// without the runtime's exclusivity checks on class properties.
    private func readRecord() throws -> Bool? {
        var bytes = [UInt8]()
        var ends = [Int]()
        swap(&bytes, &self.bytes)
        swap(&ends, &self.fieldEnds)
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        defer {
            swap(&bytes, &self.bytes)
            swap(&ends, &self.fieldEnds)
        }
        var line = self.line
        defer { self.line = line }
        recordLine = line
        var state = State.fieldStart
        var sawContent = false
        var readAny = false
        let comma = UInt8(ascii: ",")
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        while true {
            if chunkPosition == chunkLength {
                guard try refill() else {
                    if !readAny { return nil }
                    if state == .quoted {
                        throw FairAuditError.invalidInput(
                            path: path,
                            reason:
                                "line \(recordLine): a quoted field is not closed before the end of the file")
                    }
                    ends.append(bytes.count)
                    bytes.append(0)
                    return sawContent
                }
            }
            readAny = true
            var i = chunkPosition
            let length = chunkLength
            // Consume bytes of this chunk until the record ends or the chunk runs out.
            let done: Bool = chunk.withUnsafeBufferPointer { buf in
                while i < length {
                    let b = buf[i]
                    switch state {
                    case .quoted:
                        // Copy the run up to the next quote.
                        var j = i
                        while j < length && buf[j] != quote {
                            if buf[j] == newline { line += 1 }
                            j += 1
                        }
                        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j]))
                        i = j
                        if j < length {
                            state = .quoteInQuoted
                            i += 1
                        }
                    case .quoteInQuoted where b == quote:
                        bytes.append(quote)
                        state = .quoted
                        i += 1
                    case .fieldStart where b == quote:
                        state = .quoted
                        sawContent = true
                        i += 1
                    default:
                        switch b {
                        case comma:
                            ends.append(bytes.count)
                            bytes.append(0)
                            state = .fieldStart
                            sawContent = true
                            i += 1
                        case newline:
                            line += 1
                            i += 1
                            ends.append(bytes.count)
                            bytes.append(0)
                            return true
                        case cr: i += 1  // part of a CRLF line end
                        default:
                            // Copy the run up to the next delimiter.
                            var j = i + 1
                            while j < length, buf[j] != comma, buf[j] != newline, buf[j] != cr { j += 1 }
                            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j]))
                            state = .unquoted
                            sawContent = true
                            i = j
                        }
                    }
                }
                return false
            }
            chunkPosition = i
            if bytes.count > maxRecordBytes {
                throw FairAuditError.invalidInput(
                    path: path, reason: "line \(recordLine): the record is longer than \(maxRecordBytes) bytes")
            }
            if done { return sawContent }
        }
    }
}
