import Foundation
import Testing

@testable import FairAudit

@Suite("Fixer Fisher against float64 finite differences")
struct FixerFisherTests {
    /// The probability of class `c` in the float64 reference (sigmoid: `p` or `1 − p`).
    static func probability(_ ref: ReferenceNetwork, _ x: [Double], _ c: Int) -> Double {
        let p = ref.probabilities(x)
        return p.count == 1 ? (c == 1 ? p[0] : 1 - p[0]) : p[c]
    }

    /// The fixer's importance comes from `Network.groupFisher` through the
    /// executor's squared backward pass; it must equal, per group, the mean
    /// of each row's squared gradient `(∂ℓ_n/∂θ)²` — worked out here one row
    /// at a time by central differences of the float64 `ReferenceNetwork`
    /// (for `.model`, `Σ_c p_c (∂(−log p_c)/∂θ)²`).
    @Test(
        "per-group Fisher equals per-row squared gradients by float64 central differences",
        arguments: [(1, FixOptions.FisherKind.empirical), (1, .model), (3, .empirical), (3, .model)])
    func matchesFiniteDifferences(classes: Int, kind: FixOptions.FisherKind) throws {
        let graph = FixerGradientTests.smallGraph(classes: classes)
        let net = try Network(fixing: graph)
        let rows = 24
        let b = FixerGradientTests.batch(rows: rows)
        let fisher = try net.groupFisher(
            features: b.x, labels: b.y, rowGroups: b.g, groupNames: ["a", "b", "c"],
            kind: kind, batchSize: 5)
        let counts = (0..<3).map { g in b.g.filter { $0 == g }.count }
        #expect(fisher.counts == counts)
        var ref = try ReferenceNetwork(graph: graph, layers: try #require(graph.layers))
        let xs = (0..<rows).map { r in b.x[(r * 6)..<(r * 6 + 6)].map(Double.init) }
        var compared = 0
        for (slot, p) in net.trainable.enumerated() {
            let name = net.parameterNames[p]
            var expected = [[Double]](repeating: [Double](repeating: 0, count: net.values[p].count), count: 3)
            for r in 0..<rows {
                let cls = kind == .empirical ? [Int(b.y[r])] : Array(0..<max(classes, 2))
                for c in cls {
                    let grad = ref.finiteDifference(name) { -log(Self.probability($0, xs[r], c)) }
                    let weight = kind == .empirical ? 1 : Self.probability(ref, xs[r], c)
                    for i in grad.indices { expected[b.g[r]][i] += weight * grad[i] * grad[i] / Double(counts[b.g[r]]) }
                }
            }
            for g in 0..<3 {
                let got = fisher.values[g][slot]
                let want = expected[g]
                try #require(got.count == want.count)
                let scale = want.map(abs).max() ?? 0
                #expect(scale > 0)
                for (a, e) in zip(got, want) {
                    #expect(abs(Double(a) - e) <= 1e-4 * scale + 1e-9, "\(name) group \(g): \(a) vs \(e)")
                }
                compared += got.count
            }
        }
        #expect(compared == 3 * (6 * 5 + 5 + 5 * 4 + 4 + 4 * classes + classes))
    }
}
