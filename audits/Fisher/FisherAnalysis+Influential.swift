extension FisherAnalysis {
    /// The `top` parameters with the largest spread `max_g P_g[i] − min_g P_g[i]`
    /// of the per-tensor normalized Fisher over `groups` (for two groups,
    /// `|P_g[i] − P_h[i]|`), largest first; ties by tensor order, then index.
    /// Tensors where a group's Fisher has no mass are skipped, and so are
    /// tensors at round-off level (``roundOffFloor``): their normalized Fisher
    /// is the shape of float noise, not of what the groups use.
    static func influentialParameters(_ f: FisherByGroup, groups: [Int], top: Int) -> [InfluentialParameter] {
        guard top > 0, groups.count >= 2 else { return [] }
        let mass = f.tensorNames.indices.map { t in
            groups.map { g in f.values[g][t].isEmpty ? 0 : f.values[g][t].reduce(0, +) / Double(f.values[g][t].count) }
                .max() ?? 0
        }
        let floor = roundOffFloor * (mass.max() ?? 0)
        // (spread, tensor, index, each group's P) kept sorted, largest first.
        var best: [(Double, Int, Int, [Double])] = []
        for t in f.tensorNames.indices where mass[t] > floor {
            let ps = groups.compactMap { FisherDivergence.normalized(f.values[$0][t]) }
            guard ps.count == groups.count, let n = ps.first?.count else { continue }
            for i in 0..<n {
                var lo = Double.infinity
                var hi = -Double.infinity
                for p in ps {
                    lo = min(lo, p[i])
                    hi = max(hi, p[i])
                }
                let spread = hi - lo
                if best.count == top, let last = best.last, spread <= last.0 { continue }
                let at = best.firstIndex { spread > $0.0 } ?? best.count
                best.insert((spread, t, i, ps.map { $0[i] }), at: at)
                if best.count > top { best.removeLast() }
            }
        }
        return best.map { spread, t, i, values in
            let hiG = values.indices.max { values[$0] < values[$1] } ?? 0
            let loG = values.indices.min { values[$0] < values[$1] } ?? 0
            return InfluentialParameter(
                tensor: f.tensorNames[t], index: i,
                multiIndex: multiIndex(i, shape: f.shapes[t]),
                groups: [f.groupNames[groups[hiG]], f.groupNames[groups[loG]]],
                difference: spread, fisher: values)
        }
    }

    /// A tensor whose largest per-group mean Fisher is below this share of the
    /// largest tensor's has gradients at float32 round-off (`ε² ≈ 1.4e-14`,
    /// times 100): an attention key bias, which the softmax cancels, is one.
    static let roundOffFloor = 1e-12

    /// The C-order multi-index of flat index `i` in `shape` (`[i]` for a 0-d or mismatched shape).
    public static func multiIndex(_ i: Int, shape: [Int]) -> [Int] {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else { return [i] }
        var rest = i
        var out = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() {
            out[d] = rest % shape[d]
            rest /= shape[d]
        }
        return out
    }
}
