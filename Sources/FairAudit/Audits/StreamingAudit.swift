import Foundation

/// A run of consecutive rows, read and scored, handed to the audits that
/// fold rows into their sums as they are read (``StreamingAudit``). The
/// buffers are valid during the call only.
public struct AuditRows {
    /// The position of the run's first row among all rows read.
    public var firstRow: Int
    /// Rows in the run.
    public var count: Int
    /// `count × width` features, row-major (the model's inputs side by side).
    public var features: UnsafeBufferPointer<Float>
    /// The model's positive-class score of each row.
    public var scores: UnsafeBufferPointer<Float>
    /// Each row's label: 1 positive, 0 negative.
    public var labels: UnsafeBufferPointer<Float>
    /// Each row's group as a stream id: groups numbered in the order they
    /// first appear; ``AuditStreamEnd/groupOrder`` maps them to the data's
    /// group order once every row is read.
    public var groups: UnsafeBufferPointer<Int>
    /// Each row's global id (keying bootstrap weights and permutation draws).
    public var rowIDs: UnsafeBufferPointer<UInt64>

    /// Creates a run.
    public init(
        firstRow: Int, count: Int, features: UnsafeBufferPointer<Float>, scores: UnsafeBufferPointer<Float>,
        labels: UnsafeBufferPointer<Float>, groups: UnsafeBufferPointer<Int>, rowIDs: UnsafeBufferPointer<UInt64>
    ) {
        self.firstRow = firstRow
        self.count = count
        self.features = features
        self.scores = scores
        self.labels = labels
        self.groups = groups
        self.rowIDs = rowIDs
    }
}

/// What a streaming audit is told once every row is folded: the model, the
/// data without its rows (names, group names in the data's order, the row
/// count) and where each stream group id went.
public struct AuditStreamEnd: Sendable {
    /// The model as read.
    public var graph: ModelGraph
    /// The data's names and groups; its per-row arrays are empty
    /// (``LabeledData/rowCount`` still counts the rows).
    public var data: LabeledData
    /// Stream group id → index into `data.groupNames`.
    public var groupOrder: [Int]
    /// Settings.
    public var options: AuditOptions
    /// Called with progress messages.
    public var progress: @Sendable (String) -> Void

    /// Creates the end-of-stream summary.
    public init(
        graph: ModelGraph, data: LabeledData, groupOrder: [Int], options: AuditOptions,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.graph = graph
        self.data = data
        self.groupOrder = groupOrder
        self.options = options
        self.progress = progress
    }
}

/// An audit's running sums over the rows folded so far.
public protocol AuditAccumulator: AnyObject {
    /// Adds a run of rows (runs arrive in row order, each row once).
    func fold(_ rows: AuditRows) throws
    /// The audit's result over every row folded; the same as
    /// ``Audit/run(_:)`` on all the rows at once.
    func finish(_ end: AuditStreamEnd) throws -> AuditResult
}

/// An audit whose result is a function of sums over the rows, so it can
/// fold the rows chunk by chunk while they are read, scored and dropped:
/// memory then stays flat in the number of rows. When every audit of a run
/// is one, nothing holds all rows.
public protocol StreamingAudit: Audit {
    /// Fresh sums for a run over `graph` with `options`.
    static func accumulator(graph: ModelGraph, options: AuditOptions) throws -> any AuditAccumulator
    /// Whether the sums with `options` need every group's row count over all
    /// rows before the first row is folded (``AuditOptions/nullCounts``, when
    /// it is nil): the runner then counts the groups in a first pass over the
    /// data, or, when the data cannot be read twice (standard input), holds
    /// the rows and runs ``Audit/run(_:)``.
    static func needsGroupCounts(_ options: AuditOptions) -> Bool
}

extension StreamingAudit {
    /// Most sums need nothing before the rows.
    public static func needsGroupCounts(_ options: AuditOptions) -> Bool { false }
}
