import Foundation

/// A release policy, as `fairaudit.toml` states it: what to audit (model,
/// data, columns), the limits a release must meet, and how `fix` runs.
public struct Policy: Sendable, Equatable {
    /// One limit of the `[gate]` table: `max_<metric>` or `min_<metric>`.
    public struct Limit: Sendable, Equatable {
        /// `max` (value must be ≤ bound) or `min` (value must be ≥ bound).
        public enum Kind: String, Sendable { case max, min }
        /// The metric's name as the audit's JSON spells it.
        public var metric: String
        /// Upper or lower bound.
        public var kind: Kind
        /// The bound.
        public var bound: Double
        /// The line of the policy file that sets it (0 when set otherwise).
        public var line: Int
        /// Where the limit was set.
        public var origin: Origin = .policy

        /// Where a limit comes from, for messages that blame the right place.
        public enum Origin: String, Sendable, Equatable {
            /// The `[gate]` table of a policy file.
            case policy
            /// A `--limit` flag.
            case commandLine
        }
        /// Creates a limit.
        public init(metric: String, kind: Kind, bound: Double, line: Int) {
            self.metric = metric
            self.kind = kind
            self.bound = bound
            self.line = line
        }
        /// The key as written (`max_demographic_parity_difference`).
        public var key: String { kind.rawValue + "_" + metric }
    }

    /// The file the policy came from.
    public var source: String = ""
    /// Model file, relative to the policy file's folder when not absolute.
    public var model: String?
    /// Labeled data (CSV or CSV.gz).
    public var data: String?
    /// Evaluation data for `fix`.
    public var eval: String?
    /// Label column.
    public var label: String?
    /// Value of the label column that counts as positive.
    public var positive: String?
    /// Group columns.
    public var groups: [String] = []
    /// Columns that are neither features nor groups.
    public var ignore: [String] = []
    /// Explicit feature columns.
    public var features: [String]?
    /// A Keras model config JSON giving the architecture of a file that holds
    /// none (a state dict, a weights-only file); relative to the policy file.
    public var architecture: String?
    /// Activations between the dense layers of an inferred state-dict chain:
    /// one for every hidden layer, or one per hidden layer in order.
    public var activation: [String]?
    /// Output activation of an inferred state-dict chain (`sigmoid`, `softmax`, `linear`).
    public var head: String?
    /// Tensors that are not weights, left out of layer inference.
    public var exclude: [String] = []
    /// Decision threshold.
    public var threshold: Double?
    /// Groups below this size are flagged and left out of the gaps.
    public var minGroupSize: Int?
    /// Bootstrap resamples.
    public var bootstrap: Int?
    /// Seed.
    public var seed: Int?
    /// Settings of each audit's `[audits.<name>]` table, in file order
    /// (read by the audit itself, ``AuditSettings``).
    public var audits: [AuditSetting] = []
    /// Notes for stderr about how the file was read (a key found where it used to be).
    public var notes: [String] = []
    /// Limits of the `[gate]` table.
    public var limits: [Limit] = []
    /// Largest allowed growth of a gap against `--baseline`.
    public var maxRegression: Double?
    /// Line of `max_regression`.
    public var maxRegressionLine: Int = 0
    /// Judge a limit by the confidence interval's unfavourable bound.
    public var useCIBound: Bool = false
    /// Settings of the `[fix]` table, by key (`rank`, `penalty`, `lambda`, …).
    public var fix: [String: String] = [:]

    /// An empty policy.
    public init() {}

    /// `path` resolved against the policy file's folder.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || source.isEmpty { return path }
        let dir = URL(fileURLWithPath: source).deletingLastPathComponent()
        let candidate = dir.appendingPathComponent(path).path
        // Paths are written relative to where the policy sits, or to the working directory.
        return FileManager.default.fileExists(atPath: candidate) || !FileManager.default.fileExists(atPath: path)
            ? candidate : path
    }
}
