import CBLAS
import Foundation

/// A kernel `W` (in×out) factorized as `A·B`, `A` in×r, `B` r×out, row-major.
public struct LowRankFactors: Sendable {
    /// Input units (rows of `W`).
    public var rows: Int
    /// Output units (columns of `W`).
    public var cols: Int
    /// The rank kept.
    public var rank: Int
    /// `A = S⁻¹ U_r Σ_r`, rows × rank.
    public var a: [Float]
    /// `B = V_rᵀ`, rank × cols.
    public var b: [Float]
    /// All singular values of `S·W`, largest first.
    public var singularValues: [Float]

    /// The dense product `A·B` (rows × cols), one `sgemm`.
    public func product() -> [Float] {
        var w = [Float](repeating: 0, count: rows * cols)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(cols), Int32(rank),
            1, a, Int32(rank), b, Int32(cols), 0, &w, Int32(cols))
        return w
    }
}

/// Fisher-weighted truncated SVD (docs/method.md §4; Hsu et al. 2022).
public enum LowRank {
    /// How the rank is chosen.
    public enum RankRule: Sendable, Equatable {
        /// A fixed rank r.
        case fixed(Int)
        /// The smallest r with `Σ_{i<r} σ_i² ≥ e · Σ σ²`.
        case energy(Double)
    }

    /// The smallest r whose leading singular values keep `share` of `Σσ²`
    /// (at least 1, at most `sigma.count`).
    public static func rank(forEnergy share: Double, singularValues sigma: [Float]) -> Int {
        let total = sigma.reduce(0.0) { $0 + Double($1) * Double($1) }
        guard total > 0 else { return 1 }
        var kept = 0.0
        for (i, s) in sigma.enumerated() {
            kept += Double(s) * Double(s)
            // A relative slack keeps exact shares (0.9 of a sum) from failing on rounding.
            if kept >= share * total * (1 - 1e-9) { return i + 1 }
        }
        return sigma.count
    }

    /// Factorizes `w` (rows × cols, row-major) minimizing `Σ_j s_j ‖W_j − (AB)_j‖²`:
    /// `S = diag(sqrt(s + ε))`, `ε = 1e-8 · mean(s)`, SVD `S W = U Σ Vᵀ` (LAPACKE `sgesdd`),
    /// `A = S⁻¹ U_r Σ_r`, `B = V_rᵀ`. `rowWeights` nil means `s ≡ 1` (plain truncated SVD).
    /// The rank is clamped to `min(rows, cols)`.
    public static func factorize(
        _ w: [Float], rows: Int, cols: Int, rowWeights: [Float]?,
        rule: RankRule, name: String = ParameterRole.kernel.rawValue
    ) throws -> LowRankFactors {
        guard rows > 0, cols > 0, w.count == rows * cols else {
            throw FairAuditError.shapeMismatch(name: name, expected: [rows, cols], found: [w.count])
        }
        var scale = [Float](repeating: 1, count: rows)
        if let s = rowWeights {
            guard s.count == rows else {
                throw FairAuditError.shapeMismatch(name: name, expected: [rows], found: [s.count])
            }
            let mean = s.reduce(0.0) { $0 + Double(max($1, 0)) } / Double(rows)
            let eps = 1e-8 * mean
            for j in 0..<rows {
                let v = (Double(max(s[j], 0)) + eps).squareRoot()
                scale[j] = v > 0 && v.isFinite ? Float(v) : 1
            }
        }
        var m = w
        for j in 0..<rows { for k in 0..<cols { m[j * cols + k] *= scale[j] } }
        let k = min(rows, cols)
        var sigma = [Float](repeating: 0, count: k)
        var u = [Float](repeating: 0, count: rows * k)
        var vt = [Float](repeating: 0, count: k * cols)
        let info = LAPACKE_sgesdd(
            Int32(LAPACK_ROW_MAJOR), Int8(UInt8(ascii: "S")), Int32(rows), Int32(cols),
            &m, Int32(cols), &sigma, &u, Int32(k), &vt, Int32(cols))
        guard info == 0 else {
            throw FairAuditError.unsupportedModel(
                reason: "the SVD of '\(name)' did not converge (LAPACKE_sgesdd info \(info))")
        }
        let r: Int
        switch rule {
        case .fixed(let v): r = max(1, min(v, k))
        case .energy(let e): r = rank(forEnergy: e, singularValues: sigma)
        }
        var a = [Float](repeating: 0, count: rows * r)
        for j in 0..<rows {
            for c in 0..<r { a[j * r + c] = u[j * k + c] * sigma[c] / scale[j] }
        }
        let b = Array(vt[0..<(r * cols)])
        return LowRankFactors(rows: rows, cols: cols, rank: r, a: a, b: b, singularValues: sigma)
    }
}
