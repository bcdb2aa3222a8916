import Foundation

/// Where the permutation rounds' sums go among a ``FisherAccumulator``'s
/// weight columns. Rounds are taken in tuples of `k`; a row's *pattern* in a
/// tuple is the null group it draws in each of the tuple's rounds, and each
/// pattern but "the derived group in every round" has a column. A row then
/// adds its squared gradients once per tuple (when it is outside the derived
/// group in some round of it) instead of once per round it is outside it:
/// with two groups in proportions 1:2, 0.87 additions per 5 rounds instead of
/// 1.67. Round `r`'s sums of null group `h` are the sums of the patterns of
/// its tuple with `h` at `r`'s place. With `k = 1` the columns are the
/// summed null groups of each round, in order.
struct FisherNullColumns: Sendable {
    /// Null groups `H` (0: no rounds, or one group, so nothing is summed).
    let groups: Int
    /// The null group whose sums are all rows' sums minus the others'.
    let derived: Int
    /// Rounds per tuple (the last tuple may be shorter).
    let k: Int
    /// Each tuple's first round, rounds, and first column.
    let starts: [Int], lengths: [Int], bases: [Int]
    /// Columns in all.
    let count: Int

    /// The layout for `null` with tuples of `roundsPerTuple` rounds (1: a
    /// column per round and summed null group). Longer tuples add fewer
    /// times per row but spread the sums over `H^k − 1` columns per tuple;
    /// on the Adult MLP (two groups, 20 rounds) tuples of five rounds measured
    /// slower than one (the sums of 124 columns no longer stay in cache), so
    /// the audit uses 1.
    init(null: FisherNull?, roundsPerTuple: Int = 1) {
        guard let null, null.rounds > 0, null.counts.count >= 2 else {
            (groups, derived, k, starts, lengths, bases, count) = (0, 0, 1, [], [], [], 0)
            return
        }
        let h = null.counts.count
        let k = max(1, min(roundsPerTuple, 8))
        var starts: [Int] = []
        var lengths: [Int] = []
        var bases: [Int] = []
        var round = 0
        var base = 0
        while round < null.rounds {
            let length = min(k, null.rounds - round)
            starts.append(round)
            lengths.append(length)
            bases.append(base)
            base += Self.power(h, length) - 1
            round += length
        }
        (groups, derived, self.k, self.starts, self.lengths, self.bases, count) =
            (h, null.derived, k, starts, lengths, bases, base)
    }

    /// `b^e` for the small powers here.
    static func power(_ b: Int, _ e: Int) -> Int {
        var out = 1
        for _ in 0..<e { out = out > Int.max / max(b, 1) ? Int.max : out * b }
        return out
    }

    /// The column (from the first null column) of a row whose null group in
    /// round `r` is `draw(r)`, in tuple `t`; nil when it draws the derived
    /// group in every round of the tuple.
    @inline(__always)
    func column(tuple t: Int, draw: (Int) -> Int) -> Int? {
        var pattern = 0
        var all = 0
        var place = 1
        for j in 0..<lengths[t] {
            pattern += draw(starts[t] + j) * place
            all += derived * place
            place *= groups
        }
        guard pattern != all else { return nil }
        return bases[t] + (pattern < all ? pattern : pattern - 1)
    }

    /// The columns (from the first null column) whose sums add up to round
    /// `round`'s sums of null group `group`; nil for the derived group.
    func columns(round: Int, group: Int) -> [Int]? {
        guard groups >= 2, group != derived, group >= 0, group < groups, round >= 0 else { return nil }
        guard let t = starts.lastIndex(where: { $0 <= round }), round < starts[t] + lengths[t] else { return nil }
        let place = Self.power(groups, round - starts[t])
        var all = 0
        var p = 1
        for _ in 0..<lengths[t] {
            all += derived * p
            p *= groups
        }
        return (0..<Self.power(groups, lengths[t])).filter { ($0 / place) % groups == group }.map {
            bases[t] + ($0 < all ? $0 : $0 - 1)
        }
    }
}
