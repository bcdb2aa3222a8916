import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// `fix` on the zoo's functional models (scripts/fixtures/make_zoo.py): every
/// matrix-weighted layer factorized through the one generic mechanism, only
/// trained tensors written, the written file read back predicting what the
/// fixed model predicts.
@Suite struct FixAnyArchitectureTests {
    static let models =
        ["residual_mlp", "wide_deep", "seq_dense", "merges"].flatMap { ["\($0)_k3", "\($0)_tf2"] }
        + ["small_cnn_k3", "residual_cnn_k3", "text_cnn_k3", "transformer_k3", "seq_cnn_tf2"]

    /// The zoo model as labeled data for the fixer.
    static func data(_ model: String) throws -> (graph: ModelGraph, data: LabeledData) {
        let (graph, net, x, y, g) = try ZooTests.load(model)
        let data = LabeledData(
            source: model, featureNames: (0..<net.inputWidth).map { "f\($0)" }, features: x, labels: y,
            groupColumns: ["g"], groupNames: ["a", "b", "c"], rowGroups: g)
        return (graph, data)
    }

    static func options(rank: Int = 2) -> FixOptions {
        var o = FixOptions()
        o.rank = rank
        o.epochs = 2
        o.batchSize = 16
        o.minGroupSize = 1
        o.factorizeEmbeddings = true
        o.maxAccuracyDrop = 1
        return o
    }

    @Test(
        "every layer with a weight matrix is factorized; only trained tensors change; the file read back predicts the same",
        arguments: models)
    func fixesEveryMatrix(model: String) throws {
        let (graph, data) = try Self.data(model)
        let net = try Network(fixing: graph)
        let factorizable = net.fixerMatrices.filter { min($0.rows, $0.cols) > 2 }.map { net.parameterNames[$0.weight] }
        let result = try Fixer.fix(graph: graph, data: data, options: Self.options())
        #expect(
            Set(result.ranks.keys) == Set(factorizable),
            "\(model): \(result.ranks.keys.sorted()) vs \(factorizable.sorted())")
        #expect(result.ranks.values.allSatisfy { $0 == 2 })
        // Each factorized weight's count is replaced by its factors' r·(rows + cols).
        let swapped = net.fixerMatrices.filter { result.ranks[net.parameterNames[$0.weight]] != nil }
            .reduce(0) { $0 - $1.rows * $1.cols + 2 * ($1.rows + $1.cols) }
        #expect(result.trainableParameters == result.fullFineTuneParameters + swapped)
        #expect(result.fullFineTuneParameters == net.trainable.reduce(0) { $0 + net.values[$1].count })

        // Only trainable roles may change; moving statistics, Normalization constants stay.
        let trainable = Set(net.trainableNames)
        var changed = 0
        for t in graph.tensors {
            let after = try result.graph.tensor(named: t.name).floatValues()
            if after != (try t.floatValues()) {
                #expect(trainable.contains(t.name), "\(model): \(t.name) changed but is not trained")
                changed += 1
            }
        }
        #expect(changed > 0)

        let file = try ZooTests.url(model + (model.hasSuffix("_k3") ? ".keras" : ".h5"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fixany-\(UUID().uuidString)-" + file.lastPathComponent)
        defer { try? FileManager.default.removeItem(at: out) }
        try Plugins.formats.format(for: file).write(result.graph, to: out, basedOn: file)
        let reread = try Plugins.formats.read(out)
        for t in graph.tensors where !trainable.contains(t.name) {
            #expect(
                try reread.tensor(named: t.name).floatValues() == (try t.floatValues()),
                "\(model): \(t.name) not carried over")
        }
        let want = try Fixer.predictions(graph: result.graph, data: data)
        let got = try Fixer.predictions(graph: reread, data: data)
        let worst = zip(want, got).map { abs($0 - $1) }.max() ?? .infinity
        #expect(want.count == data.rowCount && worst <= 1e-6, "\(model): read back differs by \(worst)")
    }

    @Test("--layers trains only the named layers; --freeze keeps the named ones as they were")
    func layerSelection() throws {
        let (graph, data) = try Self.data("wide_deep_k3")
        func tensors(_ layer: String) throws -> [String] {
            Array(try #require(graph.layers?.first { $0.name == layer }).weights.values)
        }
        let deep = try tensors("deep")
        let deepKernel = try #require(graph.layers?.first { $0.name == "deep" }?.weights[.kernel])
        var o = Self.options()
        o.layers = ["deep"]
        let only = try Fixer.fix(graph: graph, data: data, options: o)
        #expect(Array(only.ranks.keys) == [deepKernel])
        for t in graph.tensors where !deep.contains(t.name) {
            #expect(try only.graph.tensor(named: t.name).floatValues() == (try t.floatValues()), "\(t.name) changed")
        }
        o.layers = nil
        o.freeze = ["emb", "out"]
        let frozen = try Fixer.fix(graph: graph, data: data, options: o)
        for name in try tensors("emb") + tensors("out") {
            #expect(
                try frozen.graph.tensor(named: name).floatValues() == (try graph.tensor(named: name).floatValues()),
                "\(name) changed")
        }
        #expect(Set(frozen.ranks.keys) == [deepKernel])
        o.freeze = ["nowhere"]
        #expect { _ = try Fixer.fix(graph: graph, data: data, options: o) } throws: {
            "\($0)".contains("has no layer 'nowhere'")
        }
    }

    @Test("the generic factorized op computes what the dense fast path computes")
    func genericEqualsDenseFastPath() throws {
        let dense = DenseOp(units: 3, layout: .outIn, activation: .tanh, slope: 0.2, useBias: true)
        let fast = FactorizedDenseOp(base: dense, rank: 2)
        let generic = FactorizedOp(base: dense, rank: 2, shape: [3, 4])
        var rng = SplitMix(state: 9)
        var p = LayerParams()
        p.values = [
            .kernel: rng.floats(12, -1, 1), .factorA: rng.floats(8, -1, 1), .factorB: rng.floats(6, -1, 1),
            .bias: rng.floats(3, -1, 1),
        ]
        let x = Batch(rows: 5, shape: [2, 4], data: rng.floats(40, -1.5, 1.5))
        var o1 = Batch()
        var o2 = Batch()
        var c1 = LayerCache()
        var c2 = LayerCache()
        fast.forward([x], p, output: &o1, cache: &c1)
        generic.forward([x], p, output: &o2, cache: &c2)
        #expect(o1.shape == o2.shape && zip(o1.data, o2.data).allSatisfy { abs($0 - $1) <= 1e-5 })
        let g = Batch(rows: 5, shape: o1.shape, data: rng.floats(o1.data.count, -1, 1))
        let b1 = fast.backward(g, [x], p, cache: c1, needInputs: true, wantParams: true)
        let b2 = generic.backward(g, [x], p, cache: c2, needInputs: true, wantParams: true)
        for role in [ParameterRole.factorA, .factorB, .bias] {
            let a = try #require(b1.params[role])
            let b = try #require(b2.params[role])
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($0) }, "\(role)")
        }
        let dx1 = try #require(b1.inputs[0])
        let dx2 = try #require(b2.inputs[0])
        #expect(zip(dx1.data, dx2.data).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($0) })
    }
}
