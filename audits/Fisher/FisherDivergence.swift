import Foundation

/// The divergence measures of METHOD.md section 2 between two groups'
/// Fisher over one parameter tensor (or a layer's tensors laid end to end).
public enum FisherDivergence {
    /// `P = F / Σ_i F[i]` in double precision; nil when the mass is 0 or not
    /// finite (a tensor no row's gradient reaches), so the measures below are
    /// undefined for it.
    public static func normalized(_ f: [Float]) -> [Double]? {
        var mass = 0.0
        for v in f { mass += Double(v) }
        guard mass > 0, mass.isFinite else { return nil }
        let inv = 1 / mass
        return f.map { Double($0) * inv }
    }

    /// `P = F / Σ_i F[i]` for a Fisher already in double precision.
    public static func normalized(_ f: [Double]) -> [Double]? {
        let mass = f.reduce(0, +)
        guard mass > 0, mass.isFinite else { return nil }
        return f.map { $0 / mass }
    }

    /// Total variation `½ Σ_i |P[i] − Q[i]|`, in [0, 1].
    public static func totalVariation(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "total variation of arrays of different lengths")
        var s = 0.0
        for i in p.indices { s += abs(p[i] - q[i]) }
        return s / 2
    }

    /// Jensen–Shannon divergence in bits, in [0, 1]: with `M = (P + Q)/2`,
    /// `½ Σ P log₂(P/M) + ½ Σ Q log₂(Q/M)`, taking `0·log 0 = 0`. (SciPy's
    /// `jensenshannon(p, q, base=2)` is the square root of this.)
    public static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "Jensen–Shannon of arrays of different lengths")
        var s = 0.0
        for i in p.indices {
            let a = p[i], b = q[i], m = (a + b) / 2
            if a > 0 { s += a * log2(a / m) }
            if b > 0 { s += b * log2(b / m) }
        }
        return min(max(s / 2, 0), 1)
    }

    /// How many parameters "the top 1%" is for a tensor of `n`: `max(1, ⌊n/100⌋)`.
    public static func topCount(_ n: Int, fraction: Double = 0.01) -> Int {
        max(1, Int((Double(n) * fraction).rounded(.down)))
    }

    /// Indices of the `k` largest values, ties broken by the lower index
    /// (numpy `argsort(-p, kind="stable")[:k]`).
    public static func topIndices(_ p: [Double], k: Int) -> [Int] {
        let k = min(max(k, 0), p.count)
        guard k > 0 else { return [] }
        return p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(k).map { $0 }
    }

    /// Jaccard index `|A ∩ B| / |A ∪ B|` of the top-`fraction` (at least one)
    /// parameters of each group.
    public static func topJaccard(_ p: [Double], _ q: [Double], fraction: Double = 0.01) -> Double {
        let k = topCount(p.count, fraction: fraction)
        let a = Set(topIndices(p, k: k)), b = Set(topIndices(q, k: k))
        let union = a.union(b).count
        return union == 0 ? 1 : Double(a.intersection(b).count) / Double(union)
    }
}
