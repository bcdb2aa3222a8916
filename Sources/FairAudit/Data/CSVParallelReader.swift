import Foundation

/// How the CSV reader splits its work (defaults suit large files; tests use
/// tiny blocks to put block and chunk boundaries everywhere).
public struct CSVReadTuning: Sendable {
    /// Bytes read (and decompressed) per block.
    public var blockBytes = 4 << 20
    /// Chunks each block is split into, parsed concurrently (one per core by default).
    public var chunks = ProcessInfo.processInfo.activeProcessorCount
    /// Blocks smaller than this per chunk are parsed as one chunk.
    public var minChunkBytes = 256 << 10
    /// Creates the defaults.
    public init() {}
}

/// A pointer handed to the parsing threads (the block outlives them).
private struct SharedBytes: @unchecked Sendable { let p: UnsafePointer<UInt8> }

/// Reads a CSV file block by block: the header first, then each block cut
/// after its last newline, split at newlines into chunks parsed on every
/// core, the chunks handed over in file order with the line they start on.
/// A record cut by a block's end (or a quoted field holding the newline
/// where a chunk was cut) is carried into the next parse, so the rows are
/// exactly those of reading record by record.
final class CSVParallelReader {
    let layout: CSVLayout
    private let queue: ByteBlockQueue
    private let tuning: CSVReadTuning
    private let buffer: CSVWorkBuffer
    /// Newlines before the first byte of `buffer`.
    private var lineBase = 0
    /// Average bytes per row so far (to size the chunks' buffers).
    private var bytesPerRow = 64
    /// Decoded bytes of the whole records (and header) parsed so far.
    private(set) var bytesConsumed = 0

    /// Opens `url` (plain or gzip) and reads its header.
    convenience init(url: URL, options: CSVDataOptions, tuning: CSVReadTuning = CSVReadTuning()) throws {
        try self.init(source: openByteSource(url), path: url.path, options: options, tuning: tuning)
    }

    /// Reads from `source` (stdin, a header put before a stream, bytes in
    /// memory); `path` names it in messages.
    init(source: ByteSource, path: String, options: CSVDataOptions, tuning: CSVReadTuning = CSVReadTuning()) throws {
        self.tuning = tuning
        let queue = ByteBlockQueue(source: source, blockBytes: tuning.blockBytes)
        let buffer = CSVWorkBuffer(capacity: tuning.blockBytes)
        do {
            let (columns, next, newlines) = try Self.header(buffer, queue, options: options, path: path)
            layout = CSVLayout(columns: columns, path: path, maxRecordBytes: options.maxLineBytes)
            lineBase = newlines
            bytesConsumed = next
            buffer.drop(next)
        } catch {
            queue.close()
            throw error
        }
        self.queue = queue
        self.buffer = buffer
    }

    deinit { queue.close() }

    /// Reads the header record: the columns, where the first row starts, the header's line ends.
    private static func header(
        _ buffer: CSVWorkBuffer, _ queue: ByteBlockQueue, options: CSVDataOptions,
        path: String
    ) throws -> (CSVColumns, Int, Int) {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }
        var scanner = CSVRecordScanner()
        var atEnd = false
        while true {
            switch scanner.scan(buffer.bytes, from: 0, end: buffer.length, final: atEnd) {
            case .end: throw fail("the file is empty (no header row)")
            case .unclosedQuote: throw fail("line 1: a quoted field is not closed before the end of the file")
            case .record(let next, let newlines, _):
                if scanner.bytes.count > options.maxLineBytes {
                    throw fail("line 1: the record is longer than \(options.maxLineBytes) bytes")
                }
                let columns = try CSVColumns(
                    fieldCount: scanner.fieldCount, field: { scanner.string($0) }, options: options, path: path)
                return (columns, next, newlines)
            case .incomplete:
                if buffer.length > options.maxLineBytes {
                    throw fail("line 1: the record is longer than \(options.maxLineBytes) bytes")
                }
                atEnd = try !buffer.pull(from: queue)
            }
        }
    }

    /// The decoded size of the input when known.
    var sizeHint: Int? { queue.sizeHint }

    /// Calls `body` with every chunk in file order and the number of line
    /// ends before it; stops at the first chunk holding a bad record (after
    /// `body` has seen it, so label messages of earlier rows come first).
    func forEachChunk(_ body: (CSVChunk, _ lineBase: Int) throws -> Void) throws {
        var atEnd = false
        while !atEnd {
            atEnd = try !buffer.pull(from: queue)
            let end: Int
            if atEnd {
                end = buffer.length
            } else {
                guard let e = buffer.endOfLastLine() else {
                    if buffer.length > layout.maxRecordBytes { throw longRecord() }
                    continue
                }
                end = e
            }
            let (consumed, rows) = try parseRegion(end: end, final: atEnd, body)
            if rows > 16 { bytesPerRow = max(8, consumed / rows) }
            bytesConsumed += consumed
            buffer.drop(consumed)
            if !atEnd && buffer.length > layout.maxRecordBytes { throw longRecord() }
        }
    }

    private func longRecord() -> FairAuditError {
        layout.fail("line \(lineBase + 1): the record is longer than \(layout.maxRecordBytes) bytes")
    }

    /// Parses `buffer[0..<end]` in chunks; returns the bytes of whole records and the rows.
    private func parseRegion(end: Int, final: Bool, _ body: (CSVChunk, Int) throws -> Void) throws -> (Int, Int) {
        let parts = max(1, min(tuning.chunks, end / max(tuning.minChunkBytes, 1)))
        var bounds = [0]
        for k in 1..<parts {
            guard let b = buffer.endOfLine(from: max(end * k / parts, bounds[bounds.count - 1]), to: end) else { break }
            if b < end && b > bounds[bounds.count - 1] { bounds.append(b) }
        }
        bounds.append(end)
        let cuts = bounds
        let shared = SharedBytes(p: UnsafePointer(buffer.bytes))
        let layout = self.layout
        let perRow = bytesPerRow
        let count = bounds.count - 1
        let chunks = parallelMap(count) { k in
            CSVChunk.parse(
                shared.p, start: cuts[k], end: cuts[k + 1], final: final && k == count - 1,
                layout: layout, bytesPerRow: perRow)
        }
        var rows = 0
        for (k, chunk) in chunks.enumerated() {
            if chunk.incomplete && k < count - 1 {
                // A quoted newline was cut: parse the rest of the region in one piece.
                let rest = CSVChunk.parse(
                    shared.p, start: bounds[k], end: end, final: final, layout: layout, bytesPerRow: perRow)
                try deliver(rest, body)
                return (rest.consumed, rows + rest.rows)
            }
            try deliver(chunk, body)
            rows += chunk.rows
        }
        return (chunks.last?.consumed ?? end, rows)
    }

    private func deliver(_ chunk: CSVChunk, _ body: (CSVChunk, Int) throws -> Void) throws {
        try body(chunk, lineBase)
        if let failure = chunk.failure { throw layout.fail(failure.message(lineBase + failure.line + 1)) }
        lineBase += chunk.newlines
    }
}
