import Foundation

extension LabeledData {
    /// Reads the rows of `url` (or stdin, or with a supplied header, as
    /// `options` say) in chunks of about `chunkBytes` of CSV, calling `body`
    /// with each chunk's rows and the number of rows before it, so memory
    /// stays flat in the number of rows. Chunks are cut at record ends
    /// (outside quotes); each chunk's groups are its own (sorted), so callers
    /// match groups by name. Returns the number of rows read.
    public static func forEachChunk(
        from url: URL, options: CSVDataOptions, chunkBytes: Int = 16 << 20,
        body: (LabeledData, Int) throws -> Void
    ) throws -> Int {
        let path = options.standardInput ? "stdin" : url.path
        let source = try options.byteSource(url)
        var chunkOptions = options
        chunkOptions.partOfStream = true
        chunkOptions.header = nil
        chunkOptions.standardInput = false
        var pending: [UInt8] = []
        var header: [UInt8]?
        var rows = 0
        var lines = 1
        var block = [UInt8](repeating: 0, count: max(chunkBytes, 1 << 16))
        var ended = false
        while !ended {
            let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { ended = true } else { pending.append(contentsOf: block[0..<n]) }
            if header == nil {
                guard let end = recordEnd(pending, last: false) ?? (ended && !pending.isEmpty ? pending.count : nil)
                else {
                    if ended {
                        throw FairAuditError.invalidInput(path: path, reason: "the file is empty (no header row)")
                    }
                    continue
                }
                header = Array(pending[0..<end]) + (end < pending.count || pending.last == 10 ? [] : [10])
                pending.removeFirst(min(end, pending.count))
            }
            guard let head = header else { continue }
            guard pending.count >= chunkBytes || (ended && !pending.isEmpty) else { continue }
            let cut = ended ? pending.count : (recordEnd(pending, last: true) ?? 0)
            guard cut > 0 else { continue }
            let chunk = head + pending[0..<cut]
            let text = pending[0..<cut]
            pending.removeFirst(cut)
            let data: LabeledData
            do {
                data = try read(
                    source: MemoryByteSource(chunk), path: path, options: chunkOptions,
                    tuning: CSVReadTuning(), consume: nil
                ).data
            } catch let FairAuditError.invalidInput(p, reason) {
                throw FairAuditError.invalidInput(path: p, reason: shiftLine(reason, by: lines - 1))
            }
            lines += text.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            try body(data, rows)
            rows += data.rowCount
        }
        return rows
    }

    /// The index just past the first (or last) newline outside quotes; nil without one.
    static func recordEnd(_ bytes: [UInt8], last: Bool) -> Int? {
        var quoted = false
        var found: Int?
        for (i, b) in bytes.enumerated() {
            if b == 34 {
                quoted.toggle()
            } else if b == 10 && !quoted {
                found = i + 1
                if !last { return found }
            }
        }
        return found
    }

    /// `reason` with its first "line N" moved on by `offset` lines.
    static func shiftLine(_ reason: String, by offset: Int) -> String {
        guard offset > 0, let r = reason.range(of: #"line [0-9]+"#, options: .regularExpression),
            let n = Int(reason[r].dropFirst(5))
        else { return reason }
        return reason.replacingCharacters(in: r, with: "line \(n + offset)")
    }
}

/// Bytes already in memory, as a byte source.
final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var sizeHint: Int? { bytes.count }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0, let to = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { src in
            if let from = src.baseAddress { to.copyMemory(from: from + offset, byteCount: n) }
        }
        offset += n
        return n
    }
}
