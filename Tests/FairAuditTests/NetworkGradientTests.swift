import Foundation
import Testing

@testable import FairAudit

/// The executor's float32 forward pass and gradients against an independent
/// float64 implementation and central finite differences on it.
@Suite struct NetworkGradientTests {
    @Test(arguments: TinyModel.all)
    func forwardMatchesReference(model: TinyModel) throws {
        let (graph, layers) = model.build()
        let net = try Network(graph: graph)
        let ref = try ReferenceNetwork(graph: graph, layers: layers)
        let (x, _, _) = TinyModel.data(rows: 9)
        let scores = try net.predictScores(features: x, rows: 9)
        let expected = (0..<9).map { r in ref.probabilities((0..<5).map { Double(x[r * 5 + $0]) }).last ?? .nan }
        #expect(close(scores.map(Double.init), expected, rtol: 0, atol: 2e-6), "\(scores) vs \(expected)")
    }

    @Test(arguments: TinyModel.all)
    func gradientsMatchFiniteDifferences(model: TinyModel) throws {
        let (graph, layers) = model.build()
        let net = try Network(graph: graph)
        var ref = try ReferenceNetwork(graph: graph, layers: layers)
        let rows = 12
        let (x, y, _) = TinyModel.data(rows: rows)
        let xs = (0..<rows).map { r in (0..<5).map { Double(x[r * 5 + $0]) } }
        let result = try net.lossAndGradients(features: x, labels: y, rows: rows)
        #expect(abs(result.loss - ref.meanLoss(xs, y.map(Double.init))) < 1e-5)
        let expectedNames =
            ["d0/kernel", "d0/bias"] + (model.norm == .batch ? ["bn/gamma", "bn/beta"] : [])
            + (model.norm == .layer ? ["ln/gamma", "ln/beta"] : []) + ["d1.weight", "d1.bias", "d2/kernel", "d2/bias"]
        #expect(result.names == expectedNames)
        for (name, grad) in zip(result.names, result.gradients) {
            let fd = ref.finiteDifference(name) { $0.meanLoss(xs, y.map(Double.init)) }
            #expect(close(grad.map(Double.init), fd, rtol: 2e-3, atol: 2e-5), "\(model) \(name): \(grad) vs \(fd)")
        }
    }

    /// Weighted loss plus a score penalty: objective `Σ w̃ ℓ + Σ c_n s_n`.
    @Test func weightsAndScoreGradient() throws {
        for model in [TinyModel(hidden: .relu), TinyModel(hidden: .tanh, head: .softmax, outputs: 2)] {
            let (graph, layers) = model.build()
            let net = try Network(graph: graph)
            var ref = try ReferenceNetwork(graph: graph, layers: layers)
            let rows = 8
            let (x, y, _) = TinyModel.data(rows: rows)
            let xs = (0..<rows).map { r in (0..<5).map { Double(x[r * 5 + $0]) } }
            let w: [Float] = [1, 2, 0.5, 1, 3, 1, 1, 0.25]
            let c: [Float] = [0.3, -0.2, 0.1, 0, 0.5, -0.4, 0.2, 0.1]
            let result = try net.lossAndGradients(
                features: x, labels: y, rows: rows, sampleWeights: w, scoreGradient: c)
            func objective(_ n: ReferenceNetwork) -> Double {
                let total = w.reduce(0, +)
                var o = 0.0
                for r in 0..<rows {
                    o += Double(w[r] / total) * n.loss(xs[r], Double(y[r]))
                    o += Double(c[r]) * (n.probabilities(xs[r]).last ?? 0)
                }
                return o
            }
            for (name, grad) in zip(result.names, result.gradients) {
                let fd = ref.finiteDifference(name, objective)
                #expect(close(grad.map(Double.init), fd, rtol: 2e-3, atol: 2e-5), "\(model) \(name)")
            }
        }
    }
}
