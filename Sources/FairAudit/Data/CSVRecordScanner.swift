import Foundation

/// The general RFC 4180 record splitter over bytes in memory: fields
/// separated by `,`, records by `\n` (a `\r` outside quotes is dropped, so
/// `\r\n` ends a record too), fields in double quotes may hold commas,
/// newlines and doubled quotes (`""`).
///
/// The parallel reader's fast path handles plain records itself and hands
/// anything else (quotes, a lone `\r`, a field-count mismatch, a cell that is
/// not a plain number) to this scanner, which decodes one record into
/// `bytes`, each field followed by a NUL so numbers parse in place.
struct CSVRecordScanner {
    /// The bytes of the current record's fields, each followed by a NUL.
    var bytes: [UInt8] = []
    /// The end offset in `bytes` of each field (before its NUL).
    var fieldEnds: [Int] = []

    /// What one scan found.
    enum Outcome {
        /// A record ends at `next`, having crossed `newlines` line ends;
        /// `blank` when it was an empty line (skipped, as pandas does).
        case record(next: Int, newlines: Int, blank: Bool)
        /// The region ends inside the record (more input is needed).
        case incomplete
        /// The input is over inside a quoted field.
        case unclosedQuote
        /// Nothing is left.
        case end
    }

    /// Number of fields in the current record.
    var fieldCount: Int { fieldEnds.count }

    /// The byte range of field `i` in `bytes`.
    func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : fieldEnds[i - 1] + 1)..<fieldEnds[i] }

    /// Field `i` as a string, or nil when it is not valid UTF-8.
    func string(_ i: Int) -> String? {
        bytes[range(i)].withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Decodes the record starting at `start` in `p[..<end]`. When `final`,
    /// the end of the region is the end of the input and ends the record.
    mutating func scan(_ p: UnsafePointer<UInt8>, from start: Int, end: Int, final: Bool) -> Outcome {
        bytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        if start >= end { return final ? .end : .incomplete }
        let comma = UInt8(ascii: ",")
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        var state = State.fieldStart
        var sawContent = false
        var newlines = 0
        var i = start
        while i < end {
            let b = p[i]
            switch state {
            case .quoted:
                var j = i
                while j < end && p[j] != quote {
                    if p[j] == newline { newlines += 1 }
                    j += 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j - i))
                i = j
                if j < end {
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
                    fieldEnds.append(bytes.count)
                    bytes.append(0)
                    state = .fieldStart
                    sawContent = true
                    i += 1
                case newline:
                    fieldEnds.append(bytes.count)
                    bytes.append(0)
                    return .record(next: i + 1, newlines: newlines + 1, blank: !sawContent && fieldEnds.count == 1)
                case cr: i += 1
                default:
                    var j = i + 1
                    while j < end, p[j] != comma, p[j] != newline, p[j] != cr { j += 1 }
                    bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j - i))
                    state = .unquoted
                    sawContent = true
                    i = j
                }
            }
        }
        if !final { return .incomplete }
        if state == .quoted { return .unclosedQuote }
        fieldEnds.append(bytes.count)
        bytes.append(0)
        return .record(next: end, newlines: newlines, blank: !sawContent && fieldEnds.count == 1)
    }
}
