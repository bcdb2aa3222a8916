import Foundation

extension FixerObjective {
    /// Running estimates of each gap of the penalty over the training data,
    /// carried from one mini-batch to the next.
    ///
    /// The penalty is defined on the whole data, `λ·G²` with `G` a difference
    /// of two means; its gradient is `2λ·G·∇G`. A mini-batch gives unbiased
    /// estimates `g_b` of `G` and `∇g_b` of `∇G`, but `∇(g_b²) = 2·g_b·∇g_b` is
    /// biased: its mean adds `∇Var(g_b)`, which pulls each cell's
    /// probabilities towards the cell mean instead of closing the gap, and in
    /// a small cell (a minority group's positives: about 14 rows of a batch
    /// of 256 on Adult) that noise is as large as the gap. The training step
    /// therefore uses `2λ·Ĝ·∇g_b`, where `Ĝ = m̂_g − m̂_rest` and each mean is
    /// an exponential moving average over batches,
    /// `m̂ ← β·m̂ + (1 − β)·m_b` with `β = decay` (0.9: about the last ten
    /// batches). The first batch of a cell starts its average. Validation
    /// and the reported loss use the exact gaps of the rows at hand.
    struct GapEstimate: Sendable, Equatable {
        /// `β`, the weight of the past; 0 gives the batch's own gap.
        var decay: Double = 0.9
        /// `(m̂_g, m̂_rest)` per stratum and group.
        private(set) var means: [Key: Pair] = [:]

        /// A (stratum, group) cell: stratum −1 (dp), or the label 0/1 (eo).
        struct Key: Hashable, Sendable { var stratum: Int, group: Int }
        /// The two running means of one cell.
        struct Pair: Equatable, Sendable { var group: Double, rest: Double }

        /// Folds a batch's means into the cell's averages and returns the
        /// running gap `Ĝ = m̂_g − m̂_rest`.
        mutating func update(stratum: Int, group: Int, groupMean: Double, restMean: Double) -> Double {
            let key = Key(stratum: stratum, group: group)
            let next: Pair
            if let old = means[key] {
                next = Pair(
                    group: decay * old.group + (1 - decay) * groupMean,
                    rest: decay * old.rest + (1 - decay) * restMean)
            } else {
                next = Pair(group: groupMean, rest: restMean)
            }
            means[key] = next
            return next.group - next.rest
        }
    }
}
