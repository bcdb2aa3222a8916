import Foundation

/// Rows of features with a binary label and a demographic group each,
/// held as one row-major float matrix.
public struct LabeledData: Sendable {
    /// Where the rows came from (for messages).
    public var source: String
    /// Names of the feature columns, in model-input order.
    public var featureNames: [String]
    /// `rowCount × featureCount` features, row-major.
    public var features: [Float]
    /// The label of each row: 1 positive, 0 negative.
    public var labels: [Float]
    /// The columns that define the groups (several: their intersections).
    public var groupColumns: [String]
    /// Group names; an intersection joins its parts with `" & "` in `--group` order.
    public var groupNames: [String]
    /// Each row's index into `groupNames`.
    public var rowGroups: [Int]
    /// The ``CSVDataOptions/keep`` columns' cells, as text, one array per column in row order.
    public var kept: [KeptColumn] = []
    /// The number of rows when they were folded into an audit's sums as they
    /// were read and not kept (the per-row arrays are then empty); nil when
    /// the rows are held.
    public var foldedRows: Int?

    /// A column carried along as text.
    public struct KeptColumn: Sendable, Equatable {
        /// The header name.
        public var name: String
        /// One cell per row.
        public var values: [String]
        /// Creates a column.
        public init(name: String, values: [String]) {
            self.name = name
            self.values = values
        }
    }

    /// Creates a data set.
    public init(
        source: String, featureNames: [String], features: [Float], labels: [Float],
        groupColumns: [String], groupNames: [String], rowGroups: [Int]
    ) {
        self.source = source
        self.featureNames = featureNames
        self.features = features
        self.labels = labels
        self.groupColumns = groupColumns
        self.groupNames = groupNames
        self.rowGroups = rowGroups
    }

    /// Number of rows (held, or folded: ``foldedRows``).
    public var rowCount: Int { foldedRows ?? labels.count }
    /// Number of feature columns.
    public var featureCount: Int { featureNames.count }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledData {
        let d = featureCount
        var x = [Float]()
        x.reserveCapacity(indices.count * d)
        for i in indices { x.append(contentsOf: features[(i * d)..<(i * d + d)]) }
        var out = LabeledData(
            source: source, featureNames: featureNames, features: x,
            labels: indices.map { labels[$0] }, groupColumns: groupColumns,
            groupNames: groupNames, rowGroups: indices.map { rowGroups[$0] })
        out.kept = kept.map { column in KeptColumn(name: column.name, values: indices.map { column.values[$0] }) }
        return out
    }
}
