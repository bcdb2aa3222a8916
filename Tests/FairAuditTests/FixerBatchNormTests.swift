import Foundation
import Testing

@testable import FairAudit

@Suite("Fixer through a frozen batch normalization")
struct FixerBatchNormTests {
    /// 6 → 5 (tanh) → batch norm → 1 (sigmoid), random weights and statistics.
    static func graph() -> ModelGraph {
        var rng = TestRNG(state: 11)
        func t(_ name: String, _ shape: [Int], _ v: [Float]) -> Tensor { FixerFixtures.tensor(name, shape, v) }
        let tensors = [
            t("d0/kernel", [6, 5], rng.matrix(30, scale: 0.8)), t("d0/bias", [5], rng.matrix(5, scale: 0.3)),
            t("bn/gamma", [5], rng.matrix(5, scale: 0.4).map { $0 + 1 }), t("bn/beta", [5], rng.matrix(5, scale: 0.3)),
            t("bn/moving_mean", [5], rng.matrix(5, scale: 0.2)),
            t("bn/moving_variance", [5], rng.matrix(5, scale: 0.3).map { $0 + 0.6 }),
            t("d1/kernel", [5, 1], rng.matrix(5, scale: 0.8)), t("d1/bias", [1], rng.matrix(1, scale: 0.3)),
        ]
        let layers = [
            Layer(
                name: "d0", kind: .dense, activation: .tanh, units: 5,
                weights: [.kernel: "d0/kernel", .bias: "d0/bias"]),
            Layer(
                name: "bn", kind: .batchNormalization,
                weights: [
                    .gamma: "bn/gamma", .beta: "bn/beta", .movingMean: "bn/moving_mean",
                    .movingVariance: "bn/moving_variance",
                ],
                epsilon: 1e-3),
            Layer(
                name: "d1", kind: .dense, activation: .sigmoid, units: 1,
                weights: [.kernel: "d1/kernel", .bias: "d1/bias"]),
        ]
        return ModelGraph(format: "test", layout: .kerasWeights, tensors: tensors, layers: layers, inputWidth: 6)
    }

    @Test("γ and β are frozen; gradients through the affine equal float64 central differences")
    func gradientsThroughFrozenAffine() throws {
        let graph = Self.graph()
        let net = try Network(fixing: graph)
        #expect(
            net.trainable.map { net.parameterNames[$0] }.sorted() == ["d0/bias", "d0/kernel", "d1/bias", "d1/kernel"])
        let b = FixerGradientTests.batch(rows: 9)
        let objective = FixerObjective(loss: net.loss, penalty: nil, lambda: 0)
        let eval = objective.evaluate(logits: net.logits(b.x, rows: 9), rows: 9, labels: b.y, groups: b.g, weights: nil)
        let grads = net.testGradients(b.x, rows: 9, delta: eval.dLogits)
        var ref = try ReferenceNetwork(graph: graph, layers: try #require(graph.layers))
        let xs = (0..<9).map { r in b.x[(r * 6)..<(r * 6 + 6)].map(Double.init) }
        let ys = b.y.map(Double.init)
        #expect(abs(ref.meanLoss(xs, ys) - eval.nll) < 1e-5)
        for (slot, p) in net.trainable.enumerated() {
            let fd = ref.finiteDifference(net.parameterNames[p]) { $0.meanLoss(xs, ys) }
            for (g, e) in zip(grads[slot], fd) {
                #expect(abs(Double(g) - e) <= 1e-5 + 1e-3 * abs(e), "\(net.parameterNames[p]): \(g) vs \(e)")
            }
        }
    }

    @Test("fine-tuning writes back the dense tensors and leaves every batch-norm tensor as it was")
    func exportLeavesNormalizationAlone() throws {
        var rng = TestRNG(state: 5)
        let rows = 200
        let x = rng.matrix(rows * 6, scale: 1.5)
        let data = LabeledData(
            source: "t", featureNames: (0..<6).map { "f\($0)" }, features: x,
            labels: (0..<rows).map { x[$0 * 6] + x[$0 * 6 + 1] > 0 ? 1 : 0 },
            groupColumns: ["g"], groupNames: ["a", "b"], rowGroups: (0..<rows).map { $0 % 2 })
        var o = FixOptions()
        o.method = .finetune
        o.epochs = 2
        let out = try Fixer.fix(graph: Self.graph(), data: data, options: o).graph
        for name in ["bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"] {
            let t = try out.tensor(named: name)
            #expect(!t.isModified, "\(name)")
            #expect(try t.floatValues() == (try Self.graph().tensor(named: name).floatValues()))
        }
        for name in ["d0/kernel", "d0/bias", "d1/kernel", "d1/bias"] {
            #expect(try out.tensor(named: name).isModified, "\(name)")
        }
    }

    @Test("the fixer trains through layer normalization (γ, β frozen) and through a hidden softmax")
    func refusals() throws {
        var norm = Self.graph()
        norm.layers?[1] = Layer(name: "ln", kind: .layerNormalization, weights: [.gamma: "bn/gamma", .beta: "bn/beta"])
        let net = try Network(fixing: norm)
        #expect(
            net.trainable.map { net.parameterNames[$0] }.sorted() == ["d0/bias", "d0/kernel", "d1/bias", "d1/kernel"])
        var hidden = Self.graph()
        hidden.layers?[0].activation = .softmax
        #expect(try Network(fixing: hidden).trainable.count == 4)  // a hidden softmax trains like any layer
    }
}
