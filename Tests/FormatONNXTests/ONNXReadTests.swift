import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// Reading initializers and dense chains of models the real exporters wrote.
@Suite struct ONNXReadTests {
    @Test func registryPicksONNXByContent() throws {
        #expect(try Plugins.formats.format(for: ONNXFixtures.adult).name == "onnx")
        #expect(try Plugins.formats.format(for: ONNXFixtures.url("dtypes.npz")).name == "npz")
    }

    /// torch.onnx.export keeps the state dict's names; the values are copies of the npz's.
    @Test func torchExportInitializersAreTheStateDict() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.adult)
        #expect(graph.tensors.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
        let npz = try Plugins.formats.read(
            ONNXFixtures.root.appendingPathComponent("Tests/FormatNPZTests/Resources/adult_mlp_torch.npz"))
        for (onnxName, npzName) in [
            ("0.weight", "net.0.weight"), ("3.bias", "net.2.bias"), ("5.weight", "net.4.weight"),
        ] {
            let a = try graph.tensor(named: onnxName)
            let b = try npz.tensor(named: npzName)
            #expect(a.shape == b.shape && a.dtype == .float32)
            #expect(try a.floatValues() == b.floatValues(), "\(onnxName) is a copy of \(npzName)")
        }
    }

    /// Typed `*_data` fields and `raw_data` give numpy's values, every dtype.
    @Test(arguments: [
        "f32_typed", "f64_typed", "i32_typed", "i64_typed", "f16_typed", "f32_raw", "f16_raw", "u8_raw", "bool_raw",
    ])
    func typedAndRawDataMatchNumpy(name: String) throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("dtypes.onnx"))
        let numpy = try #require(try ONNXFixtures.arrays("dtypes.npz")[name])
        let t = try graph.tensor(named: name)
        #expect(t.dtype == numpy.dtype && t.shape == numpy.shape)
        #expect(try t.rawBytes() == numpy.rawBytes())
    }

    /// The Gemm chain runs as onnxruntime runs it.
    @Test func adultMLPPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.adult)
        let layers = try #require(graph.layers)
        #expect(layers.map(\.kind) == [.dense, .dense, .dense])
        #expect(layers.map(\.activation) == [.relu, .relu, .sigmoid])
        #expect(layers.allSatisfy { $0.kernelLayout == .outIn })
        #expect(graph.inputWidth == 80)
        let net = try Network(graph: graph)
        let (x, rows) = try ONNXFixtures.adultFeatures()
        let scores = try net.predictScores(features: x, rows: rows)
        let ort = try ONNXFixtures.f32("adult_mlp_torch_ort.f32")
        #expect(scores.count == ort.count && ort.count == 2000)
        let worst = zip(scores, ort).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference from onnxruntime: \(worst)")
    }

    /// skl2onnx's MLPClassifier: Cast, MatMul + Add, Relu, Sigmoid, then [1 − p, p]; the label output
    /// (ArgMax, ArrayFeatureExtractor) is passed over for `probabilities`, whose second column is the score.
    @Test func sklearnMLPPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("adult_mlp_sklearn.onnx"))
        let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
        #expect(layers.map(\.kind) == [.dense, .dense] && layers.map(\.activation) == [.relu, .sigmoid])
        #expect(layers[0].weights == [.kernel: "coefficient", .bias: "intercepts"])
        let net = try Network(graph: graph)
        let (x, rows) = try ONNXFixtures.adultFeatures()
        let scores = try net.predictScores(features: x, rows: rows)
        let ort = try ONNXFixtures.f32("adult_mlp_sklearn_ort.f32")
        #expect(scores.count == ort.count && ort.count == 2000)
        let worst = zip(scores, ort).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference from onnxruntime: \(worst)")
    }

    /// MatMul + Add, Tanh, Dropout, Identity, Flatten and Softmax; the ArgMax label branch is not on the path.
    @Test func matMulSoftmaxChainPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("matmul_softmax.onnx"))
        let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
        #expect(layers.map(\.kind) == [.flatten, .dense, .dense])
        #expect(layers[1].weights == [.kernel: "dense1.kernel", .bias: "dense1.bias"])
        let net = try Network(graph: graph)
        #expect(net.head == .softmax)
        let arrays = try ONNXFixtures.arrays("matmul_softmax.npz")
        let x = try #require(arrays["x"]).floatValues()
        let p = try #require(arrays["probabilities"]).floatValues()
        let scores = try net.predictScores(features: x, rows: 16)
        let positive = stride(from: 1, to: p.count, by: 2).map { p[$0] }
        let worst = zip(scores, positive).map { abs($0 - $1) }.max() ?? .infinity
        #expect(scores.count == 16 && worst <= 1e-5, "largest difference from onnxruntime: \(worst)")
    }

    /// A classifier whose first output is the label (behind ArgMax) is run to its probabilities, and says so.
    @Test func labelOutputFirstFallsBackToProbabilities() throws {
        let url = try ONNXFixtures.mutated(ONNXFixtures.url("matmul_softmax.onnx")) { $0.graph.output.reverse() }
        let graph = try ONNXFormat.read(url)
        #expect(graph.layers?.map(\.kind) == [.flatten, .dense, .dense])
        let m = Dictionary(graph.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(m["output"] == "probabilities")
        #expect(m["output_note"]?.contains("node 'argmax' (ArgMax, opset 17)") == true, "\(m["output_note"] ?? "")")
    }

    @Test func metadataNamesProducerAndOpset() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.adult)
        let m = Dictionary(graph.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(m["opset_import"] == "ai.onnx 17")
        #expect(m["producer"]?.hasPrefix("pytorch") == true)
        #expect(m["inputs"] == "features" && m["outputs"] == "score")
    }
}
