import Foundation

/// The rows of one parsed chunk, handed to a fold in file order (valid
/// during the call only).
public struct RowChunk {
    /// The position of the chunk's first row among all rows read.
    public var firstRow: Int
    /// Rows in the chunk.
    public var rows: Int
    /// `rows × featureCount` features, row-major.
    public var features: UnsafeBufferPointer<Float>
    /// Each row's label, 1 or 0 (NaN without a label column).
    public var labels: [Float]
    /// Each row's group, numbered in the order groups first appear in the
    /// file (``FoldedData/groupOrder`` maps them to the data's order).
    public var groups: [Int]
    /// The ``CSVDataOptions/keep`` columns' cells, one array per column.
    public var kept: [[String]]
}

/// What a fold over the rows leaves: the data's names, groups and row
/// count without its rows, and where each group's stream id went.
public struct FoldedData: Sendable {
    /// Names, group names (sorted, as ``LabeledData/load(from:options:)``
    /// gives them) and ``LabeledData/foldedRows``; no per-row arrays.
    public var data: LabeledData
    /// Stream group id (order of first appearance) → index into `data.groupNames`.
    public var groupOrder: [Int]
    /// Rows skipped for an empty group cell.
    public var skippedRows: Int
}

extension LabeledData {
    /// Reads the rows of `url` as ``loadCSV(from:options:tuning:)`` does —
    /// the same rows, values, groups and messages — but hands each parsed
    /// chunk to `body` in file order and keeps none of it: memory stays flat
    /// in the number of rows (a block of the file and its parsed chunks).
    public static func foldCSV(
        from url: URL, options: CSVDataOptions, tuning: CSVReadTuning = CSVReadTuning(),
        body: (RowChunk) throws -> Void
    ) throws -> FoldedData {
        let path = options.standardInput ? "stdin" : url.path
        let reader = try CSVParallelReader(
            source: options.byteSource(url), path: path, options: options, tuning: tuning)
        var builder = CSVRowsBuilder(layout: reader.layout, options: options)
        builder.keepsFeatures = false
        try reader.forEachChunk { chunk, lineBase in
            let first = builder.rowCount
            guard let rows = try builder.decode(chunk, lineBase: lineBase), chunk.rows > 0 else { return }
            try body(
                RowChunk(
                    firstRow: first, rows: chunk.rows,
                    features: UnsafeBufferPointer(start: chunk.features, count: chunk.rows * chunk.width),
                    labels: rows.labels, groups: rows.groups, kept: rows.kept))
        }
        let data = try builder.finish(options: options)
        return FoldedData(data: data, groupOrder: builder.groupOrder, skippedRows: builder.skipped)
    }
}
