import FairAudit
import Foundation

/// Group fairness metrics (docs/method.md §7), equal to fairlearn 0.15 on
/// the same predictions: per-group rates, between-group gaps over the groups
/// with at least `minGroupSize` rows, and percentile bootstrap intervals.
public struct FairnessAudit: Audit {
    /// The audit's name and its key in `--json`.
    public static let name = "fairness"
    /// Creates the audit.
    public init() {}
    /// Scores, labels and groups suffice: the rows can be streamed.
    public static var needsFeatures: Bool { false }

    /// Predicts `score ≥ options.threshold`, measures every group of
    /// `context.data`, bootstraps the gaps (`options.bootstrap` resamples,
    /// `options.confidence`, `options.seed`, two threads) and reports JSON
    /// (`FairnessReport.json`), a text table, Markdown and the gate metrics.
    public func run(_ context: AuditContext) throws -> AuditResult {
        let data = context.data, o = context.options
        context.progress("fairness: \(data.rowCount) rows, \(data.groupNames.count) groups, \(o.bootstrap) bootstrap resamples")
        let report = try FairnessReport(scores: context.scores, labels: data.labels, rowGroups: data.rowGroups,
                                        groupNames: data.groupNames, threshold: o.threshold,
                                        minGroupSize: o.minGroupSize, resamples: o.bootstrap,
                                        confidence: o.confidence, seed: o.seed, threads: 2)
        return AuditResult(name: Self.name, json: report.json(groupColumns: data.groupColumns),
                           text: report.text, markdown: report.markdown, metrics: report.auditMetrics)
    }
}
