import Foundation

extension CSVChunk {
    /// Parses the whole records in `p[start..<end]`. Unless `final`, the
    /// region ends just after a `\n` and a record cut by its end is left for
    /// the next block (``incomplete``, ``consumed``); when `final`, the end
    /// of the region is the end of the input. `p[end]` must be readable (the
    /// block keeps a NUL after its bytes).
    ///
    /// Plain records take the fast path (``fastRecord``): one pass over the
    /// bytes, numbers accumulated digit by digit straight into the row.
    /// Anything else goes through ``CSVRecordScanner`` and gives the same
    /// rows, or the same message, as reading record by record.
    static func parse(
        _ p: UnsafePointer<UInt8>, start: Int, end: Int, final: Bool, layout: CSVLayout,
        bytesPerRow: Int
    ) -> CSVChunk {
        let chunk = CSVChunk(
            width: layout.width, keptColumns: layout.columns.keep.count,
            estimatedRows: (end - start) / max(bytesPerRow, 1) + 16)
        chunk.start = start
        let n = layout.fieldCount
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
        defer {
            starts.deallocate()
            ends.deallocate()
        }
        var scanner = CSVRecordScanner()
        var pos = start
        var lines = 0
        let newline = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        while pos < end {
            let c0 = p[pos]
            if c0 == newline {
                lines += 1
                pos += 1
                continue
            }
            if c0 == cr && pos + 1 < end && p[pos + 1] == newline {
                lines += 1
                pos += 2
                continue
            }
            let row = chunk.openRow()
            let next = fastRecord(
                p, start: pos, end: end, final: final, layout: layout, row: row, starts: starts, ends: ends)
            if next >= 0 {
                if next - pos > layout.maxRecordBytes {
                    chunk.failLong(line: lines, layout: layout)
                    break
                }
                switch chunk.readText(p, starts: starts, ends: ends, line: lines, layout: layout, general: false) {
                case .row(let group, let label):
                    chunk.commitRow(group: group, label: label)
                    lines += 1
                    pos = next
                    continue
                case .skipped:
                    chunk.skipped += 1
                    lines += 1
                    pos = next
                    continue
                case .failed, .general: break
                }
                if chunk.failure != nil { break }
            }
            // The general path, record by record.
            switch scanner.scan(p, from: pos, end: end, final: final) {
            case .end:
                pos = end
            case .incomplete:
                chunk.incomplete = true
                chunk.consumed = pos
                chunk.newlines = lines
                return chunk
            case .unclosedQuote:
                chunk.fail(line: lines) { "line \($0): a quoted field is not closed before the end of the file" }
            case .record(let next, let newlines, let blank):
                if blank {
                    lines += newlines
                    pos = next
                    continue
                }
                if scanner.bytes.count > layout.maxRecordBytes {
                    chunk.failLong(line: lines, layout: layout)
                    break
                }
                chunk.generalRecord(scanner, starts: starts, ends: ends, line: lines, layout: layout)
                lines += newlines
                pos = next
            }
            if chunk.failure != nil { break }
        }
        chunk.consumed = pos
        chunk.newlines = lines
        return chunk
    }

    private func failLong(line: Int, layout: CSVLayout) {
        let limit = layout.maxRecordBytes
        fail(line: line) { "line \($0): the record is longer than \(limit) bytes" }
    }

    /// A word with the high bit set in each byte of `w` equal to `b` (the
    /// lowest set bit is exact; higher ones may be false positives).
    @inline(__always)
    static func bytesEqual(_ w: UInt64, _ b: UInt8) -> UInt64 {
        let x = w ^ (UInt64(b) &* 0x0101_0101_0101_0101)
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The first `,`, `\n`, `\r` or `"` at or after `q` (or `end`), 8 bytes at a time.
    @inline(__always)
    static func delimiter(_ p: UnsafePointer<UInt8>, from q: Int, end: Int) -> Int {
        var q = q
        let raw = UnsafeRawPointer(p)
        while q + 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: q, as: UInt64.self)
            let hit = bytesEqual(w, 0x2C) | bytesEqual(w, 0x0A) | bytesEqual(w, 0x0D) | bytesEqual(w, 0x22)
            if hit != 0 { return q + hit.trailingZeroBitCount >> 3 }
            q += 8
        }
        while q < end {
            let b = p[q]
            if b == 0x2C || b == 0x0A || b == 0x0D || b == 0x22 { return q }
            q += 1
        }
        return end
    }

    /// Parses one plain record at `start` (no quotes, the header's field
    /// count, every feature a number, ended by `\n`, `\r\n` or the end of
    /// the input): features go into `row`, each field's bounds into
    /// `starts`/`ends`. Returns where the next record starts, or -1 when the
    /// record needs the general path.
    @inline(__always)
    static func fastRecord(
        _ p: UnsafePointer<UInt8>, start: Int, end: Int, final: Bool, layout: CSVLayout,
        row: UnsafeMutablePointer<Float>, starts: UnsafeMutablePointer<Int>,
        ends: UnsafeMutablePointer<Int>
    ) -> Int {
        let comma: UInt8 = 0x2C
        let newline: UInt8 = 0x0A
        let cr: UInt8 = 0x0D
        let last = layout.fieldCount - 1
        let slots = layout.slots
        var pos = start
        var col = 0
        while true {
            starts[col] = pos
            let slot = Int(slots[col])
            if slot >= 0 {
                var q = pos
                var c = p[q]
                var negative = false
                if c == 0x2D {
                    negative = true
                    q += 1
                    c = p[q]
                } else if c == 0x2B {
                    q += 1
                    c = p[q]
                }
                let d0 = q
                var m: UInt64 = 0
                while c &- 0x30 < 10 {
                    m = m &* 10 &+ UInt64(c &- 0x30)
                    q += 1
                    c = p[q]
                }
                var digits = q - d0
                var fraction = 0
                if c == 0x2E {
                    q += 1
                    c = p[q]
                    let f0 = q
                    while c &- 0x30 < 10 {
                        m = m &* 10 &+ UInt64(c &- 0x30)
                        q += 1
                        c = p[q]
                    }
                    fraction = q - f0
                    digits += fraction
                }
                if q == end || c == comma || c == newline || c == cr,
                    let v = CSVCell.fastValue(m, fraction: fraction, digits: digits, negative: negative)
                {
                    row[slot] = v
                    pos = q
                } else {
                    let e = delimiter(p, from: q, end: end)
                    if e < end && p[e] == 0x22 { return -1 }
                    guard case .success(let v) = CSVCell.parseFloat(p + pos, count: e - pos) else { return -1 }
                    row[slot] = v
                    pos = e
                }
            } else {
                pos = delimiter(p, from: pos, end: end)
                if pos < end && p[pos] == 0x22 { return -1 }
            }
            ends[col] = pos
            if col < last {
                guard pos < end, p[pos] == comma else { return -1 }
                pos += 1
                col += 1
                continue
            }
            if pos == end { return final ? end : -1 }
            let c = p[pos]
            if c == newline { return pos + 1 }
            if c == cr && pos + 1 < end && p[pos + 1] == newline { return pos + 2 }
            return -1
        }
    }
}
