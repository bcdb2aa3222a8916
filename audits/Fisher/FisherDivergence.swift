import Foundation

/// The divergence measures of docs/method.md §2 between two groups'
/// Fisher over one parameter tensor (or a layer's tensors laid end to end).
public enum FisherDivergence {
    /// `P = F / Σ_i F[i]` in double precision; nil when the mass is 0 or not
    /// finite (a tensor no row's gradient reaches), so the measures below are
    /// undefined for it.
    public static func normalized(_ f: [Float]) -> [Double]? {
        var mass = 0.0
        for v in f { mass += Double(v) }
        guard mass > 0, mass.isFinite else { return nil }
        return f.map { Double($0) / mass }  // x / x == 1 exactly: a 1-element tensor has TV 0
    }

    /// `P = F / Σ_i F[i]` for a Fisher already in double precision.
    public static func normalized(_ f: [Double]) -> [Double]? {
        let mass = f.reduce(0, +)
        guard mass > 0, mass.isFinite else { return nil }
        return f.map { $0 / mass }
    }

    /// Total variation `½ Σ_i |P[i] − Q[i]|`, in [0, 1] (NaN for arrays of different lengths).
    public static func totalVariation(_ p: [Double], _ q: [Double]) -> Double {
        guard p.count == q.count else { return .nan }
        var s = 0.0
        for i in p.indices { s += abs(p[i] - q[i]) }
        return s / 2
    }

    /// Jensen–Shannon divergence in bits, in [0, 1]: with `M = (P + Q)/2`,
    /// `½ Σ P log₂(P/M) + ½ Σ Q log₂(Q/M)`, taking `0·log 0 = 0`. (SciPy's
    /// `jensenshannon(p, q, base=2)` is the square root of this.) NaN for
    /// arrays of different lengths.
    public static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        guard p.count == q.count else { return .nan }
        var s = 0.0
        for i in p.indices {
            let a = p[i]
            let b = q[i]
            let m = (a + b) / 2
            if a > 0 { s += a * log2(a / m) }
            if b > 0 { s += b * log2(b / m) }
        }
        return min(max(s / 2, 0), 1)
    }

    /// How many parameters "the top 1%" is for a tensor of `n`: `max(1, ⌊n/100⌋)`.
    public static func topCount(_ n: Int, fraction: Double = 0.01) -> Int {
        max(1, Int((Double(n) * fraction).rounded(.down)))
    }

    /// Indices of the `k` largest values, largest first, ties broken by the
    /// lower index (numpy `argsort(-p, kind="stable")[:k]`). Finds the k-th
    /// largest value by quickselect, so a large tensor costs O(n), not a sort.
    public static func topIndices(_ p: [Double], k: Int) -> [Int] {
        let k = min(max(k, 0), p.count)
        guard k > 0 else { return [] }
        let order = { (a: Int, b: Int) in p[a] > p[b] || (p[a] == p[b] && a < b) }
        if k * 8 >= p.count || p.contains(where: \.isNaN) { return Array(p.indices.sorted(by: order).prefix(k)) }
        var scratch = p
        let cut = scratch.withUnsafeMutableBufferPointer { kthLargest($0, k) }
        var chosen: [Int] = []
        var ties: [Int] = []
        for i in p.indices {
            if p[i] > cut { chosen.append(i) } else if p[i] == cut { ties.append(i) }
        }
        chosen += ties.prefix(k - chosen.count)
        return chosen.sorted(by: order)
    }

    /// The k-th largest of `a` (1 ≤ k ≤ count, no NaN), reordering `a`:
    /// Hoare partitioning around a median of three.
    static func kthLargest(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        let target = a.count - k
        var lo = 0
        var hi = a.count - 1
        while lo < hi {
            let x = a[lo]
            let y = a[lo + (hi - lo) / 2]
            let z = a[hi]
            let pivot = max(min(x, y), min(max(x, y), z))
            var i = lo
            var j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { return a[target] }
        }
        return a[target]
    }

    /// Jaccard index `|A ∩ B| / |A ∪ B|` of two index sets (1 when both are empty).
    public static func jaccard(_ a: Set<Int>, _ b: Set<Int>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 1 : Double(a.intersection(b).count) / Double(union)
    }

    /// Jaccard index `|A ∩ B| / |A ∪ B|` of the top-`fraction` (at least one)
    /// parameters of each group.
    public static func topJaccard(_ p: [Double], _ q: [Double], fraction: Double = 0.01) -> Double {
        guard p.count == q.count else { return .nan }
        let k = topCount(p.count, fraction: fraction)
        return jaccard(Set(topIndices(p, k: k)), Set(topIndices(q, k: k)))
    }
}
