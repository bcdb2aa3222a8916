import Foundation

/// The fairness metrics of a set of scored rows at one threshold, as the
/// audit computes them (docs/method.md §7): each group's confusion counts,
/// the gaps over the groups with at least `minGroupSize` rows, and the
/// overall accuracy. `fix` judges every epoch on its validation rows with it.
public struct FairnessSnapshot: Sendable, Equatable {
    /// Confusion counts per group index (groups with no row have all zeros).
    public var groups: [ConfusionCounts]
    /// Which groups the gaps are taken over (enough rows).
    public var included: [Bool]
    /// The gaps over the included groups.
    public var gaps: FairnessGaps
    /// Overall accuracy, `(TP + TN) / n`.
    public var accuracy: Double
    /// Overall selection rate.
    public var selectionRate: Double

    /// Counts `ŷ = score ≥ threshold` against `labels` (0/1) per group of
    /// `rowGroups` (indices into `groupCount` groups).
    public init(
        scores: [Float], labels: [Float], rowGroups: [Int], groupCount: Int,
        threshold: Double, minGroupSize: Int
    ) {
        precondition(
            scores.count == labels.count && labels.count == rowGroups.count,
            "FairnessSnapshot: scores, labels and groups differ in length")
        var cells = [Int](repeating: 0, count: 4 * max(groupCount, 1))
        for n in scores.indices {
            let y = labels[n] >= 0.5 ? 1 : 0
            let yhat = Double(scores[n]) >= threshold ? 1 : 0
            cells[4 * rowGroups[n] + 2 * y + yhat] += 1
        }
        groups = cells.withUnsafeBufferPointer { c in
            (0..<groupCount).map { ConfusionCounts(cells: c, offset: 4 * $0) }
        }
        included = groups.map { $0.count > 0 && $0.count >= minGroupSize }
        gaps = FairnessGaps(groups: zip(groups, included).filter(\.1).map(\.0))
        let total = groups.reduce(ConfusionCounts(), +)
        accuracy = total.accuracy
        selectionRate = total.selectionRate
    }

    /// The value of a metric as the gate names it (`accuracy`, `selection_rate`,
    /// or one of `FairnessGaps.names`); nil for a name it does not know.
    public func value(of metric: String) -> Double? {
        switch metric {
        case "accuracy": return accuracy
        case "selection_rate": return selectionRate
        default: return FairnessGaps.names.firstIndex(of: metric).map { gaps.values[$0] }
        }
    }
}
