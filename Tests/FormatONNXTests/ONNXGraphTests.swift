import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// Graphs beyond a dense chain, from torch.onnx.export and onnx.helper,
/// predict as onnxruntime does (scripts/fixtures/make_onnx_fixtures.py).
@Suite struct ONNXGraphTests {
    /// The largest difference between `a` and `b` (infinity when their counts differ).
    func worst(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    /// tabular.csv's id and number columns, side by side as the model's two inputs.
    static func tabularFeatures() throws -> (features: [Float], rows: Int) {
        let text = try String(contentsOf: ONNXFixtures.url("tabular.csv"), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline)
        #expect(lines.removeFirst() == "ids,ids_1,ids_2,num,num_1,num_2,num_3,income,sex")
        var x: [Float] = []
        for line in lines {
            let cells = line.split(separator: ",")
            for c in 0..<7 { x.append(try #require(Float(String(cells[c])))) }
        }
        return (x, lines.count)
    }

    /// Embedding (Gather), LayerNormalization, GELU as Erf, Flatten, BatchNorm1d, Concat, Gemm: two inputs.
    @Test func torchTabularModelPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("tabular_torch.onnx"))
        let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
        let kinds = Set(layers.map(\.kind))
        #expect(
            kinds.isSuperset(of: [
                .input, .embedding, .layerNormalization, .arithmetic, .activation, .flatten,
                .batchNormalization, .concatenate, .dense,
            ]))
        let emb = try #require(layers.first { $0.kind == .embedding })
        #expect(emb.weights == [.embeddings: "emb.weight"])
        let net = try Network(graph: graph)
        #expect(net.inputNames == ["ids", "num"] && net.inputWidth == 7 && net.head == .sigmoid)
        let (x, rows) = try Self.tabularFeatures()
        let scores = try net.predictScores(features: x, rows: rows)
        let ort = try ONNXFixtures.f32("tabular_torch_ort.f32")
        #expect(rows == 400 && worst(scores, ort) <= 1e-5, "largest difference from onnxruntime: \(worst(scores, ort))")
    }

    /// Every other op: predicts onnxruntime's probabilities, passing over the label output.
    @Test func helperGraphOfEveryOpPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("ops_helper.onnx"))
        let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
        let m = Dictionary(graph.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(m["output"] == "probabilities")
        for kind: Layer.Kind in [
            .reshape, .batchNormalization, .permute, .layerNormalization, .squeeze, .unsqueeze, .gather,
            .flatten, .dense, .arithmetic, .concatenate, .activation,
        ] {
            #expect(layers.contains { $0.kind == kind }, "no \(kind) layer")
        }
        let net = try Network(graph: graph)
        #expect(net.head == .softmax)
        let arrays = try ONNXFixtures.arrays("ops_helper.npz")
        let x = try #require(arrays["x"]).floatValues()
        let p = try #require(arrays["probabilities"]).floatValues()
        let scores = try net.predictScores(features: x, rows: 400)
        let positive = stride(from: 1, to: p.count, by: 2).map { p[$0] }
        #expect(worst(scores, positive) <= 1e-5, "largest difference from onnxruntime: \(worst(scores, positive))")
    }

    /// `output: "logits"` makes the logits the head (linear): the same probabilities through a softmax of the logits.
    @Test func chosenOutputIsTheHead() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("ops_helper.onnx"), options: ReadOptions(output: "logits"))
        let net = try Network(graph: graph)
        #expect(net.head == .linear)
        let arrays = try ONNXFixtures.arrays("ops_helper.npz")
        let x = try #require(arrays["x"]).floatValues()
        let z = try #require(arrays["logits"]).floatValues()
        let scores = try net.predictScores(features: x, rows: 400)
        let want = stride(from: 0, to: z.count, by: 2).map { 1 / (1 + exp(z[$0] - z[$0 + 1])) }
        #expect(worst(scores, want) <= 1e-5, "largest difference from onnxruntime's logits: \(worst(scores, want))")
    }

    /// Asking for the label output names the ArgMax that stands in the way; asking for a missing one lists the outputs.
    @Test func chosenOutputThatCannotRunIsRefused() throws {
        #expect(throws: ONNXError.self) {
            try ONNXFormat.read(ONNXFixtures.url("ops_helper.onnx"), options: ReadOptions(output: "label"))
        }
        do {
            _ = try ONNXFormat.read(ONNXFixtures.url("ops_helper.onnx"), options: ReadOptions(output: "score"))
            Issue.record("read an output that is not there")
        } catch {
            #expect(
                "\(error)".hasSuffix(
                    "the ONNX graph cannot be run: it has no output 'score' (outputs: label, probabilities, logits)"))
        }
    }

    /// Opset 20's Gelu op.
    @Test func geluOpPredictsAsOnnxruntime() throws {
        let net = try Network(graph: ONNXFormat.read(ONNXFixtures.url("gelu20.onnx")))
        let arrays = try ONNXFixtures.arrays("gelu20.npz")
        let scores = try net.predictScores(features: try #require(arrays["x"]).floatValues(), rows: 32)
        let want = try #require(arrays["score"]).floatValues()
        #expect(worst(scores, want) <= 1e-5, "largest difference from onnxruntime: \(worst(scores, want))")
    }

    /// Gradients through the mapped graph agree with finite differences of the loss (Erf, broadcasting, gather, norms).
    @Test func gradientsMatchFiniteDifferences() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("ops_helper.onnx"))
        let net = try Network(graph: graph)
        let arrays = try ONNXFixtures.arrays("ops_helper.npz")
        let x = Array(try #require(arrays["x"]).floatValues().prefix(12 * 6))
        let labels: [Float] = [1, 0, 1, 1, 0, 0]
        let grads = try net.lossAndGradients(features: x, labels: labels, rows: 6).gradients
        let names = net.trainableNames
        for name in ["fc1.weight", "ln.scale", "bn.B", "fc3.weight"] {
            let k = try #require(names.firstIndex(of: name))
            let values = try net.parameter(name)
            for i in [0, values.count / 2, values.count - 1] {
                var plus = net
                var minus = net
                let h: Float = 1e-2
                var v = values
                v[i] += h
                try plus.setParameter(name, v)
                v = values
                v[i] -= h
                try minus.setParameter(name, v)
                let fd = Float(
                    (try plus.lossAndGradients(features: x, labels: labels, rows: 6).loss
                        - minus.lossAndGradients(features: x, labels: labels, rows: 6).loss) / Double(2 * h))
                #expect(
                    abs(fd - grads[k][i]) <= 2e-3 + 2e-2 * abs(fd),
                    "\(name)[\(i)]: finite difference \(fd), backward \(grads[k][i])")
            }
        }
    }

    /// torch's small CNN (Conv, MaxPool, AveragePool, GlobalAveragePool on NCHW): kernels read OIHW as stored.
    @Test func torchCNNPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("cnn_torch.onnx"))
        let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
        #expect(
            layers.filter { $0.kind == .convolution }.allSatisfy {
                $0.kernelLayout == .outIn && $0.spatial?.dataFormat == .channelsFirst
            })
        for kind: Layer.Kind in [.convolution, .maxPooling, .averagePooling, .globalAveragePooling, .flatten, .dense] {
            #expect(layers.contains { $0.kind == kind }, "no \(kind) layer")
        }
        let net = try Network(graph: graph)
        #expect(net.inputShapes == [[1, 8, 8]])
        let arrays = try ONNXFixtures.arrays("cnn_torch.npz")
        let scores = try net.predictScores(features: try #require(arrays["x"]).floatValues(), rows: 24)
        let want = try #require(arrays["score"]).floatValues()
        #expect(worst(scores, want) <= 1e-5, "largest difference from onnxruntime: \(worst(scores, want))")
    }

    /// The CNN written back after a change keeps its kernels OIHW: the same shapes, the changed values in place.
    @Test func cnnKernelsWriteBackInTheirStoredOrder() throws {
        var graph = try ONNXFormat.read(ONNXFixtures.url("cnn_torch.onnx"))
        var net = try Network(graph: graph)
        let name = try #require(graph.layers?.first { $0.kind == .convolution }?.weights[.kernel])
        var v = try net.parameter(name)
        v[5] += 1
        try net.setParameter(name, v)
        try net.write(into: &graph)
        let out = try ONNXFixtures.scratch().appendingPathComponent("cnn.onnx")
        try ONNXFormat.write(graph, to: out, basedOn: ONNXFixtures.url("cnn_torch.onnx"))
        let back = try ONNXFormat.read(out)
        let before = try ONNXFormat.read(ONNXFixtures.url("cnn_torch.onnx"))
        #expect(try back.tensor(named: name).shape == before.tensor(named: name).shape)
        let a = try back.tensor(named: name).floatValues()
        let b = try before.tensor(named: name).floatValues()
        #expect(a.indices.filter { a[$0] != b[$0] } == [5] && abs(a[5] - b[5] - 1) < 1e-6)
    }
}
