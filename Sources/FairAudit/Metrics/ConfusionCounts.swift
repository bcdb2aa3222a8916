/// The confusion counts of one group at one threshold; every per-group rate
/// is a ratio of these, computed the way fairlearn 0.15 / scikit-learn do.
public struct ConfusionCounts: Sendable, Equatable {
    /// `y = 1, ŷ = 1`.
    public var truePositives = 0
    /// `y = 0, ŷ = 1`.
    public var falsePositives = 0
    /// `y = 0, ŷ = 0`.
    public var trueNegatives = 0
    /// `y = 1, ŷ = 0`.
    public var falseNegatives = 0

    /// All zero.
    public init() {}

    /// Creates counts.
    public init(truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// The counts from the four cells `[ŷ=0,y=0, ŷ=1,y=0, ŷ=0,y=1, ŷ=1,y=1]`,
    /// i.e. cell index `2·y + ŷ`.
    @inline(__always)
    public init(cells c: UnsafeBufferPointer<Int>, offset o: Int) {
        trueNegatives = c[o]
        falsePositives = c[o + 1]
        falseNegatives = c[o + 2]
        truePositives = c[o + 3]
    }

    /// Rows in the group.
    public var count: Int { truePositives + falsePositives + trueNegatives + falseNegatives }
    /// Rows with `y = 1`.
    public var positives: Int { truePositives + falseNegatives }
    /// Rows with `y = 0`.
    public var negatives: Int { falsePositives + trueNegatives }

    /// Selection rate `P(ŷ=1) = (TP + FP) / n` (NaN for an empty group).
    public var selectionRate: Double { Double(truePositives + falsePositives) / Double(count) }
    /// True positive rate `TP / (TP + FN)`; 0 when the group has no positives,
    /// as fairlearn's `true_positive_rate` (scikit-learn's normalized confusion
    /// matrix) returns.
    public var truePositiveRate: Double { positives == 0 ? 0 : Double(truePositives) / Double(positives) }
    /// False positive rate `FP / (FP + TN)`; 0 when the group has no negatives.
    public var falsePositiveRate: Double { negatives == 0 ? 0 : Double(falsePositives) / Double(negatives) }
    /// Accuracy `(TP + TN) / n` (NaN for an empty group).
    public var accuracy: Double { Double(truePositives + trueNegatives) / Double(count) }

    /// Element-wise sum.
    public static func + (a: ConfusionCounts, b: ConfusionCounts) -> ConfusionCounts {
        ConfusionCounts(
            truePositives: a.truePositives + b.truePositives,
            falsePositives: a.falsePositives + b.falsePositives,
            trueNegatives: a.trueNegatives + b.trueNegatives,
            falseNegatives: a.falseNegatives + b.falseNegatives)
    }
}
