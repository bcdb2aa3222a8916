import Foundation

/// Settings every audit reads, and each audit's own (``audits``).
public struct AuditOptions: Sendable {
    /// Predicted positive when `score ≥ threshold`.
    public var threshold: Double = 0.5
    /// Bootstrap resamples for confidence intervals (0 turns them off).
    public var bootstrap: Int = 200
    /// Confidence level of the bootstrap intervals.
    public var confidence: Double = 0.95
    /// Seed for every random choice an audit makes.
    public var seed: UInt64 = 0
    /// Groups smaller than this are reported but left out of the gaps.
    public var minGroupSize: Int = 30
    /// The global id of the data's first row, when rows are keyed by position
    /// (a shard that starts at row N has offset N).
    public var rowOffset: UInt64 = 0
    /// Each group's row count over all the rows (every shard together): the
    /// proportions the Fisher's permutation null draws with (docs/method.md §8).
    /// Nil: the counts of the rows audited, right for one run over all rows.
    public var nullCounts: [String: Int]?
    /// Each audit's own options (``Audit/Options``), read by the audit.
    public var audits = AuditSettings()
    /// The formats an audit writes its arrays with, chosen by the output's
    /// extension (the runner sets its request's registry).
    public var formats = FormatRegistry([])
    /// Creates the defaults.
    public init() {}
}

/// What an audit is given: the model, the data and its scores.
public struct AuditContext: Sendable {
    /// The model as read.
    public var graph: ModelGraph
    /// The labeled rows with their groups.
    public var data: LabeledData
    /// The model's positive-class score for every row of `data`.
    public var scores: [Float]
    /// Settings.
    public var options: AuditOptions
    /// Called with progress messages for long steps.
    public var progress: @Sendable (String) -> Void
    /// Each row's global id, keying its bootstrap weights and permutation
    /// draws; nil: its position in `data` plus `options.rowOffset`.
    public var rowIDs: [UInt64]?

    /// The row ids: `rowIDs`, or positions from `options.rowOffset`.
    public var resolvedRowIDs: [UInt64] {
        if let rowIDs { return rowIDs }
        let start = options.rowOffset
        return (0..<data.rowCount).map { start &+ UInt64($0) }
    }

    /// Creates a context.
    public init(
        graph: ModelGraph, data: LabeledData, scores: [Float], options: AuditOptions,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.graph = graph
        self.data = data
        self.scores = scores
        self.options = options
        self.progress = progress
    }
}

/// A value an audit measured that a policy can put a limit on.
public struct AuditMetric: Sendable, Equatable {
    /// Key as it appears in the JSON (`demographic_parity_difference`).
    public var name: String
    /// The point value.
    public var value: Double
    /// The bootstrap interval, when computed.
    public var interval: ClosedRange<Double>?
    /// Creates a metric.
    public init(name: String, value: Double, interval: ClosedRange<Double>? = nil) {
        self.name = name
        self.value = value
        self.interval = interval
    }
}

/// What an audit found: machine-readable JSON, text for people, and the
/// metrics a release gate can check.
public struct AuditResult: Sendable {
    /// The audit's name (`"fairness"`, `"fisher"`).
    public var name: String
    /// The result as JSON (the value of the audit's key in `--json`).
    public var json: JSONValue
    /// A plain-text table for the terminal.
    public var text: String
    /// The same as Markdown.
    public var markdown: String
    /// Scalar metrics for gating.
    public var metrics: [AuditMetric]
    /// Creates a result.
    public init(name: String, json: JSONValue, text: String, markdown: String, metrics: [AuditMetric]) {
        self.name = name
        self.json = json
        self.text = text
        self.markdown = markdown
        self.metrics = metrics
    }
}

/// An analysis run over a model and labeled data. One conforming type per
/// folder under `audits/`.
public protocol Audit: Sendable {
    /// The audit's own options, read from its policy table
    /// (`[audits.<name>]`) and from flags the command forwards.
    associatedtype Options: AuditOptionSet = NoAuditOptions
    /// Short name (`"fairness"`, `"fisher"`), also the key in `--json`.
    static var name: String { get }
    /// Creates the audit.
    init()
    /// Runs the audit.
    func run(_ context: AuditContext) throws -> AuditResult
    /// Whether `run` reads `context.data.features`, so every row's features
    /// must be held at once. When every audit is a ``StreamingAudit`` the rows
    /// are folded as they are read and nothing holds them; otherwise, when no
    /// audit needs features, only each row's score, label and group are kept.
    static var needsFeatures: Bool { get }
    /// The key of the audit's seconds in the report's `timing` (`fisher_s`).
    static var timingKey: String { get }
}

extension Audit {
    /// Holding every row's features is the safe default.
    public static var needsFeatures: Bool { true }
    /// `<name>_s`.
    public static var timingKey: String { "\(name)_s" }
    /// The keys of the audit's options.
    public static var optionKeys: [AuditOptionKey] { Options.keys }
    /// The audit's options in `options`: those set in code, then its
    /// policy table's and its flags' settings.
    public static func options(_ options: AuditOptions) throws -> Options {
        try options.audits.options(for: Self.self)
    }
}
