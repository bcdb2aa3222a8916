import Foundation

/// Neutralized parameter importance from per-group Fisher information (docs/method.md §3).
public enum Importance {
    /// `values` scaled to unit mass, `P[i] = F[i] / Σ_i F[i]` (all zeros stay zeros).
    public static func unitMass(_ values: [Float]) -> [Float] {
        let total = values.reduce(0.0) { $0 + Double($1) }
        guard total > 0, total.isFinite else { return [Float](repeating: 0, count: values.count) }
        return values.map { Float(Double($0) / total) }
    }

    /// The importance of one tensor from its per-group Fisher `perGroup[g][i]`
    /// (groups with no rows left out by the caller):
    /// `mean`: `I = (1/G) Σ_g P_g`; `min`: `I = min_g P_g`;
    /// `none`: `pooled` (the Fisher over all rows) at unit mass.
    /// Every group's Fisher must have the same length (a caller's bug otherwise).
    public static func neutralized(
        perGroup: [[Float]], pooled: [Float]?,
        mode: FixOptions.Neutralize
    ) -> [Float] {
        let n = perGroup.first?.count ?? pooled?.count ?? 0
        precondition(
            perGroup.allSatisfy { $0.count == n } && (pooled?.count ?? n) == n,
            "Importance.neutralized: per-group Fisher tensors differ in length")
        switch mode {
        case .none:
            if let pooled { return unitMass(pooled) }
            // The pooled Fisher is the count-weighted mean; without counts, the plain sum.
            var sum = [Float](repeating: 0, count: n)
            for g in perGroup { for i in 0..<n { sum[i] += g[i] } }
            return unitMass(sum)
        case .mean, .min:
            let normalized = perGroup.map(unitMass)
            var out = [Float](repeating: mode == .min ? .infinity : 0, count: n)
            for p in normalized {
                for i in 0..<n { out[i] = mode == .min ? Swift.min(out[i], p[i]) : out[i] + p[i] }
            }
            if mode == .mean {
                let g = Float(normalized.count)
                for i in 0..<n { out[i] /= g }
            }
            return out
        }
    }

    /// Row importance of a kernel held in×out: `s_j = Σ_k I[j, k]`;
    /// `importance` must hold `rows × cols` values (a caller's bug otherwise).
    public static func rowSums(_ importance: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(
            importance.count == rows * cols,
            "Importance.rowSums: \(importance.count) values for a \(rows)×\(cols) kernel")
        return (0..<rows).map { j in
            var s = 0.0
            for k in 0..<cols { s += Double(importance[j * cols + k]) }
            return Float(s)
        }
    }
}
