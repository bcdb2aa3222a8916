import Foundation

extension LabeledData {
    /// Reads `groups.csv` or `groups.csv.gz` (gzip found by its magic bytes):
    /// features go straight into one row-major `[Float]`.
    ///
    /// Rows whose group cell is empty are skipped (see ``loadCSV(from:options:tuning:)``
    /// for the count). Group names are sorted; an intersection joins its
    /// parts with `options.groupSeparator` in `options.groups` order.
    public static func load(from url: URL, options: CSVDataOptions) throws -> LabeledData {
        try loadCSV(from: url, options: options).data
    }

    /// Like ``load(from:options:)``, also returning how many rows were
    /// skipped for an empty group cell.
    ///
    /// The file is read in blocks (a gzip file inflated by zlib on a second
    /// thread while the previous block is parsed); each block is cut at
    /// newlines into chunks parsed on every core (``CSVReadTuning``) and the
    /// chunks are joined in file order, so rows, group order and messages are
    /// those of reading record by record.
    public static func loadCSV(
        from url: URL, options: CSVDataOptions,
        tuning: CSVReadTuning = CSVReadTuning()
    ) throws -> (data: LabeledData, skippedRows: Int) {
        try read(url, options: options, tuning: tuning, consume: nil)
    }

    /// Reads like ``loadCSV(from:options:tuning:)`` but hands each run of
    /// rows' features (row-major, `rows × featureCount`, valid only during
    /// the call) to `consume` in file order, with an estimate of the rows in
    /// the whole file (from its size; nil when unknown), instead of keeping them: the
    /// result holds every label, group and kept cell and no features
    /// (`features` is empty). Memory then grows by the 12–16 bytes a row of
    /// label, group and whatever `consume` keeps, not by the features.
    public static func streamCSV(
        from url: URL, options: CSVDataOptions, tuning: CSVReadTuning = CSVReadTuning(),
        consume: (_ features: UnsafeBufferPointer<Float>, _ rows: Int, _ expectedRows: Int?) throws -> Void
    )
        throws -> (data: LabeledData, skippedRows: Int)
    {
        try withoutActuallyEscaping(consume) { try read(url, options: options, tuning: tuning, consume: $0) }
    }

    private static func read(
        _ url: URL, options: CSVDataOptions, tuning: CSVReadTuning,
        consume: ((UnsafeBufferPointer<Float>, Int, Int?) throws -> Void)?
    ) throws -> (data: LabeledData, skippedRows: Int) {
        try read(
            source: options.byteSource(url), path: options.standardInput ? "stdin" : url.path, options: options,
            tuning: tuning, consume: consume)
    }

    /// Reads the rows of `source` (header first); `path` names it in messages.
    static func read(
        source: ByteSource, path: String, options: CSVDataOptions, tuning: CSVReadTuning,
        consume: ((UnsafeBufferPointer<Float>, Int, Int?) throws -> Void)?
    ) throws -> (data: LabeledData, skippedRows: Int) {
        let reader = try CSVParallelReader(source: source, path: path, options: options, tuning: tuning)
        var builder = CSVRowsBuilder(layout: reader.layout, options: options)
        builder.keepsFeatures = consume == nil
        var expected: Int?
        try reader.forEachChunk { chunk, lineBase in
            try builder.append(chunk, lineBase: lineBase)
            if expected == nil, chunk.rows > 0, let total = reader.sizeHint {
                // Reserve once from the average record size, so a large file does not double the buffers.
                let perRow = max(1, (chunk.consumed - chunk.start) / chunk.rows)
                let rows = min(total / perRow + total / perRow / 20 + 64, Int(Int32.max))
                builder.reserve(rows: rows)
                expected = rows
            }
            if let consume, chunk.failure == nil, chunk.rows > 0 {
                try consume(
                    UnsafeBufferPointer(start: chunk.features, count: chunk.rows * chunk.width), chunk.rows, expected)
            }
        }
        return (try builder.finish(options: options), builder.skipped)
    }
}
