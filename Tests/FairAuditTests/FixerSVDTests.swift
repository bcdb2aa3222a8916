import Foundation
import Testing

@testable import FairAudit

@Suite("Fisher-weighted SVD")
struct FixerSVDTests {
    /// `Σ_j s_j ‖W_j − V_j‖²` computed directly.
    static func weightedError(_ w: [Float], _ v: [Float], rows: Int, cols: Int, weights: [Float]?) -> Double {
        var e = 0.0
        for j in 0..<rows {
            var row = 0.0
            for k in 0..<cols {
                let d = Double(w[j * cols + k] - v[j * cols + k])
                row += d * d
            }
            e += Double(weights?[j] ?? 1) * row
        }
        return e
    }

    /// Householder reflection `I − 2 v vᵀ / ‖v‖²` (orthogonal, size n).
    static func householder(_ v: [Double]) -> [Double] {
        let n = v.count
        let norm = v.reduce(0) { $0 + $1 * $1 }
        var h = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { h[i * n + j] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / norm } }
        return h
    }

    @Test("full rank reconstructs W", arguments: [(7, 5), (5, 7), (12, 12)])
    func fullRank(shape: (Int, Int)) throws {
        var rng = TestRNG(state: 11)
        let (m, n) = shape
        let w = rng.matrix(m * n)
        let s = (0..<m).map { _ in abs(rng.uniform()) * 5 + 0.01 }
        for weights in [nil, s] {
            let f = try LowRank.factorize(w, rows: m, cols: n, rowWeights: weights, rule: .fixed(min(m, n)))
            #expect(f.rank == min(m, n))
            let p = f.product()
            #expect(zip(p, w).allSatisfy { abs($0 - $1) < 1e-4 })
        }
    }

    @Test("each truncation is optimal for its own objective")
    func optimality() throws {
        var rng = TestRNG(state: 5)
        let (m, n, r) = (20, 12, 3)
        let w = rng.matrix(m * n)
        // Very unequal row weights, so the two truncations differ.
        let s = (0..<m).map { j in j < 5 ? Float(50) : abs(rng.uniform()) * 0.1 + 0.001 }
        let weighted = try LowRank.factorize(w, rows: m, cols: n, rowWeights: s, rule: .fixed(r)).product()
        let plain = try LowRank.factorize(w, rows: m, cols: n, rowWeights: nil, rule: .fixed(r)).product()
        let ww = Self.weightedError(w, weighted, rows: m, cols: n, weights: s)
        let pw = Self.weightedError(w, plain, rows: m, cols: n, weights: s)
        let wp = Self.weightedError(w, weighted, rows: m, cols: n, weights: nil)
        let pp = Self.weightedError(w, plain, rows: m, cols: n, weights: nil)
        #expect(ww < pw * 0.9)
        #expect(pp < wp * 0.9)
        // Eckart–Young: the weighted error is the tail of σ(S W)², S = diag(√(s+ε)).
        let sw = try LowRank.factorize(w, rows: m, cols: n, rowWeights: s, rule: .fixed(r)).singularValues
        let tail = sw.dropFirst(r).reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(ww - tail) <= 1e-3 * tail)
    }

    @Test(
        "energy picks the smallest rank keeping the share",
        arguments: [
            (0.80, 2), (0.826, 2), (0.83, 3), (0.95, 3), (0.96, 4), (0.99, 4), (0.995, 5), (1.0, 5), (0.1, 1),
        ])
    func energy(share: Double, expected: Int) throws {
        // W = U diag(4, 3, 2, 1, 0.5) Vᵀ with Householder U (6×6) and V (5×5):
        // Σσ² = 30.25; leading sums 16, 25, 29, 30, 30.25 = shares .529, .826, .959, .992, 1.
        let sigma: [Double] = [4, 3, 2, 1, 0.5]
        let u = Self.householder([1, -2, 0.5, 3, 1, -1])
        let v = Self.householder([2, 1, -1, 0.5, 1])
        let (m, n) = (6, 5)
        var w = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for k in 0..<5 { acc += u[i * m + k] * sigma[k] * v[j * n + k] }
                w[i * n + j] = Float(acc)
            }
        }
        let f = try LowRank.factorize(w, rows: m, cols: n, rowWeights: nil, rule: .energy(share))
        #expect(f.rank == expected)
        for (a, b) in zip(f.singularValues, sigma) { #expect(abs(Double(a) - b) < 1e-4) }
        #expect(LowRank.rank(forEnergy: share, singularValues: sigma.map(Float.init)) == expected)
    }

    @Test("a size mismatch is an error, not a trap")
    func badShape() {
        #expect(throws: FairAuditError.self) {
            try LowRank.factorize([1, 2, 3], rows: 2, cols: 2, rowWeights: nil, rule: .fixed(1))
        }
        #expect(throws: FairAuditError.self) {
            try LowRank.factorize([1, 2, 3, 4], rows: 2, cols: 2, rowWeights: [1], rule: .fixed(1))
        }
    }
}

@Suite("Neutralized importance")
struct FixerImportanceTests {
    // Two groups over a 4-parameter tensor; unit masses by hand:
    // P_a = [1, 2, 3, 4] / 10, P_b = [4, 0, 0, 4] / 8.
    let a: [Float] = [1, 2, 3, 4], b: [Float] = [4, 0, 0, 4]

    @Test func mean() {
        let i = Importance.neutralized(perGroup: [a, b], pooled: nil, mode: .mean)
        let want: [Float] = [0.3, 0.1, 0.15, 0.45]
        #expect(zip(i, want).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func minimum() {
        let i = Importance.neutralized(perGroup: [a, b], pooled: nil, mode: .min)
        let want: [Float] = [0.1, 0, 0, 0.4]
        #expect(zip(i, want).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func pooled() {
        // Pooled Fisher with 30 rows in a and 10 in b: (30 a + 10 b)/40 = [1.75, 1.5, 2.25, 4]; mass 9.5.
        let pooled: [Float] = [1.75, 1.5, 2.25, 4]
        let i = Importance.neutralized(perGroup: [a, b], pooled: pooled, mode: .none)
        let want: [Float] = [1.75 / 9.5, 1.5 / 9.5, 2.25 / 9.5, 4 / 9.5]
        #expect(zip(i, want).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func rowSums() {
        #expect(Importance.rowSums([1, 2, 3, 4, 5, 6], rows: 2, cols: 3) == [6, 15])
    }
}
