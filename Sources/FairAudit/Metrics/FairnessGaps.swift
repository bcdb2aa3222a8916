/// The seven between-group gaps of docs/method.md §7, each as fairlearn
/// 0.15 computes it with `method="between_groups"` (and `agg="worst_case"`).
public struct FairnessGaps: Sendable, Equatable {
    /// `max_g SR − min_g SR`.
    public var demographicParityDifference: Double
    /// `min_g SR / max_g SR` (NaN when every SR is 0, as pandas gives 0/0).
    public var demographicParityRatio: Double
    /// `max(TPR gap, FPR gap)`.
    public var equalizedOddsDifference: Double
    /// `min(TPR ratio, FPR ratio)` with Python's `min` (a NaN TPR ratio wins, a NaN FPR ratio loses).
    public var equalizedOddsRatio: Double
    /// `max_g TPR − min_g TPR`.
    public var equalOpportunityDifference: Double
    /// `min_g TPR / max_g TPR`.
    public var equalOpportunityRatio: Double
    /// `max_g acc − min_g acc`.
    public var accuracyDifference: Double

    /// The JSON keys, fairlearn's function names, in report order.
    public static let names = [
        "demographic_parity_difference", "demographic_parity_ratio",
        "equalized_odds_difference", "equalized_odds_ratio",
        "equal_opportunity_difference", "equal_opportunity_ratio",
        "accuracy_difference",
    ]

    /// The values in the order of `names`.
    public var values: [Double] {
        [
            demographicParityDifference, demographicParityRatio, equalizedOddsDifference, equalizedOddsRatio,
            equalOpportunityDifference, equalOpportunityRatio, accuracyDifference,
        ]
    }

    /// The gaps over `groups`; empty groups are skipped (NaN everywhere when none is left).
    public init(groups: [ConfusionCounts]) {
        var sr = Extremes()
        var tpr = Extremes()
        var fpr = Extremes()
        var acc = Extremes()
        for g in groups where g.count > 0 {
            sr.add(g.selectionRate)
            tpr.add(g.truePositiveRate)
            fpr.add(g.falsePositiveRate)
            acc.add(g.accuracy)
        }
        demographicParityDifference = sr.difference
        demographicParityRatio = sr.ratio
        equalOpportunityDifference = tpr.difference
        equalOpportunityRatio = tpr.ratio
        accuracyDifference = acc.difference
        // Python's max(a, b) keeps a unless b > a; min(a, b) keeps a unless b < a.
        let tprDiff = tpr.difference
        let fprDiff = fpr.difference
        equalizedOddsDifference = fprDiff > tprDiff ? fprDiff : tprDiff
        let tprRatio = tpr.ratio
        let fprRatio = fpr.ratio
        equalizedOddsRatio = fprRatio < tprRatio ? fprRatio : tprRatio
    }
}

/// Running min and max of a metric over groups.
struct Extremes {
    var min = Double.infinity
    var max = -Double.infinity
    var n = 0
    mutating func add(_ x: Double) {
        n += 1
        if x < min { min = x }
        if x > max { max = x }
    }
    /// `max − min`, NaN without values.
    var difference: Double { n == 0 ? .nan : max - min }
    /// `min / max`, NaN without values or when both are 0.
    var ratio: Double { n == 0 ? .nan : min / max }
}
