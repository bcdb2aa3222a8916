import FairAudit
import Foundation

/// Group fairness metrics (docs/method.md §7), equal to fairlearn 0.15 on
/// the same predictions: per-group rates, between-group gaps over the groups
/// with at least `minGroupSize` rows, and percentile Poisson-bootstrap intervals.
public struct FairnessAudit: StreamingAudit {
    /// The audit's name and its key in `--json`.
    public static let name = "fairness"
    /// Creates the audit.
    public init() {}
    /// Scores, labels and groups suffice: the rows can be streamed.
    public static var needsFeatures: Bool { false }
    /// The fairness metrics' seconds, `metrics_s` in the report's timing.
    public static var timingKey: String { "metrics_s" }

    /// Predicts `score ≥ options.threshold`, measures every group of
    /// `context.data`, bootstraps the gaps (`options.bootstrap` Poisson
    /// replicates keyed by `options.seed` and each row's id) and reports JSON
    /// (`FairnessReport.json`), a text table, Markdown and the gate metrics.
    /// The same computation as `fairaudit merge` over one partial.
    public func run(_ context: AuditContext) throws -> AuditResult {
        let data = context.data
        let o = context.options
        context.progress(
            "fairness: \(data.rowCount) rows, \(data.groupNames.count) groups, \(o.bootstrap) bootstrap replicates")
        return try Self.result(Self.partial(context), options: o, groupColumns: data.groupColumns)
    }

    /// Every sum the audit needs folds run by run (``FairnessAccumulator``):
    /// the rows need not be held.
    public static func accumulator(graph: ModelGraph, options: AuditOptions) throws -> any AuditAccumulator {
        try FairnessAccumulator(threshold: options.threshold, resamples: options.bootstrap, seed: options.seed)
    }

    /// Each group's values, one per group column (an intersection's name split at `" & "`).
    public static func groupParts(_ data: LabeledData) -> [[String]] {
        data.groupNames.map { name in
            guard data.groupColumns.count > 1 else { return [name] }
            let split = name.components(separatedBy: " & ")
            return split.count == data.groupColumns.count ? split : [name]
        }
    }

    /// The sufficient statistics of `context`'s rows (``FairnessPartial``).
    public static func partial(_ context: AuditContext) throws -> FairnessPartial {
        let data = context.data
        let o = context.options
        let parts = groupParts(data)
        return try FairnessPartial(
            scores: context.scores, labels: data.labels, rowGroups: data.rowGroups,
            groupNames: data.groupNames, groupParts: parts, rowIDs: context.resolvedRowIDs,
            threshold: o.threshold, resamples: o.bootstrap, seed: o.seed, threads: 2)
    }

    /// The audit's result from a partial (one run's, or many merged).
    public static func result(
        _ partial: FairnessPartial, options o: AuditOptions,
        groupColumns: [String]
    ) throws -> AuditResult {
        let report = try FairnessReport(partial: partial, minGroupSize: o.minGroupSize, confidence: o.confidence)
        return AuditResult(
            name: name, json: report.json(groupColumns: groupColumns),
            text: report.text, markdown: report.markdown, metrics: report.auditMetrics)
    }
}
