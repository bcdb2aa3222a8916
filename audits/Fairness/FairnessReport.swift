import FairAudit

/// Everything the fairness audit measured: per-group rows, the overall row,
/// the gaps over the groups that are not small, and their bootstrap intervals.
public struct FairnessReport: Sendable {
    /// Predicted positive when `score ≥ threshold`.
    public var threshold: Double
    /// Groups with fewer rows are flagged `small` and left out of the gaps.
    public var minGroupSize: Int
    /// One row per group that has rows, in the data's group order.
    public var groups: [GroupMetrics]
    /// All rows together (small groups included); `group` is `"overall"`.
    public var overall: GroupMetrics
    /// The gaps over the groups that are not small.
    public var gaps: FairnessGaps
    /// Percentile bootstrap interval of each gap, in `FairnessGaps.names`
    /// order; nil when not computed or when every resample gave NaN.
    public var intervals: [ClosedRange<Double>?]
    /// Bootstrap resamples used (0: none).
    public var resamples: Int
    /// Confidence level of the intervals.
    public var confidence: Double
    /// Seed of the bootstrap.
    public var seed: UInt64

    /// The point estimates for `scores` (a positive-class probability per
    /// row), binary `labels`, and each row's index into `groupNames`.
    /// Groups without rows are skipped. No bootstrap; see `bootstrapped`.
    public init(
        scores: [Float], labels: [Float], rowGroups: [Int], groupNames: [String],
        threshold: Double = 0.5, minGroupSize: Int = 30
    ) throws {
        let table = try CellTable(
            scores: scores, labels: labels, rowGroups: rowGroups,
            groupCount: groupNames.count, threshold: threshold)
        try self.init(table: table, groupNames: groupNames, threshold: threshold, minGroupSize: minGroupSize)
    }

    init(table: CellTable, groupNames: [String], threshold: Double, minGroupSize: Int) throws {
        guard threshold.isFinite else { throw FairnessError.invalidOption(name: "threshold", reason: "must be finite") }
        self.threshold = threshold
        self.minGroupSize = minGroupSize
        var rows: [GroupMetrics] = []
        var total = ConfusionCounts()
        var totalScore = 0.0
        for (g, name) in groupNames.enumerated() {
            let c = table.counts(g)
            total = total + c
            totalScore += table.scoreSums[g]
            guard c.count > 0 else { continue }
            rows.append(
                GroupMetrics(
                    group: name, counts: c, meanScore: table.scoreSums[g] / Double(c.count),
                    small: c.count < minGroupSize))
        }
        groups = rows
        overall = GroupMetrics(
            group: "overall", counts: total, meanScore: totalScore / Double(total.count),
            small: false)
        gaps = FairnessGaps(groups: rows.filter { !$0.small }.map(\.counts))
        intervals = Array(repeating: nil, count: FairnessGaps.names.count)
        resamples = 0
        confidence = 0.95
        self.seed = 0
    }

    /// The gaps as `(name, value, interval)` in report order.
    public var gapMetrics: [(name: String, value: Double, interval: ClosedRange<Double>?)] {
        zip(FairnessGaps.names, gaps.values).enumerated().map { i, nv in
            (nv.0, nv.1, i < intervals.count ? intervals[i] : nil)
        }
    }
}
