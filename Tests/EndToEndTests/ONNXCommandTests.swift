import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `predict`, `audit`, `fix` and `convert` on a `torch.onnx.export` of the
/// Adult MLP (Tests/FormatONNXTests/Resources, made by
/// scripts/fixtures/make_onnx_fixtures.py with torch and onnxruntime).
@Suite struct ONNXCommandTests {
    static let root = CLI.packageRoot
    static let model = root.appendingPathComponent("Tests/FormatONNXTests/Resources/adult_mlp_torch.onnx").path
    static let sample = root.appendingPathComponent("Tests/FairAuditTests/Resources/adult_sample.csv").path

    @Test func predictEqualsOnnxruntime() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("scores.npy")
        let r = try CLI.run(["predict", Self.model, "--data", Self.sample] + Fixtures.adultColumns + ["-o", out.path])
        #expect(r.code == 0, "\(r.stderr)")
        let scores = try Fixtures.npy(out.path)
        let ort = try Fixtures.f32(
            Self.root.appendingPathComponent("Tests/FormatONNXTests/Resources/adult_mlp_torch_ort.f32"))
        #expect(scores.count == 2000 && ort.count == 2000)
        let worst = zip(scores, ort).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference from onnxruntime: \(worst)")
    }

    /// The fixed model keeps the graph, opsets and producer; only Gemm weights change, and it predicts what fix verified.
    @Test func fixWritesBackOnlyLayerWeights() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("fixed.onnx")
        let before = try Data(contentsOf: URL(fileURLWithPath: Self.model))
        let r = try CLI.run(
            ["fix", Self.model, "--data", Self.sample] + Fixtures.adultColumns
                + ["--epochs", "1", "--seed", "0", "-o", out.path, "--force-write"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.model)) == before, "the input was modified")
        let a = try Plugins.formats.read(URL(fileURLWithPath: Self.model))
        let b = try Plugins.formats.read(out)
        #expect(b.format == "onnx")
        #expect(a.metadata.map(\.key) == b.metadata.map(\.key) && a.metadata.map(\.value) == b.metadata.map(\.value))
        #expect(a.layers == b.layers)
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name) && a.tensors.map(\.shape) == b.tensors.map(\.shape))
        var changed: [String] = []
        for (x, y) in zip(a.tensors, b.tensors) where try x.rawBytes() != y.rawBytes() { changed.append(x.name) }
        #expect(!changed.isEmpty)
        let weights = Set((a.layers ?? []).flatMap { $0.weights.values })
        #expect(changed.allSatisfy { weights.contains($0) }, "\(changed)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["fixed.onnx"])
    }

    @Test func truncatedModelIsOneLineExitTwo() throws {
        let dir = try CLI.temporaryDirectory()
        let cut = dir.appendingPathComponent("cut.onnx")
        try Data(contentsOf: URL(fileURLWithPath: Self.model)).prefix(5000).write(to: cut)
        for command in [["inspect", cut.path], ["predict", cut.path, "--data", Self.sample] + Fixtures.adultColumns] {
            let r = try CLI.run(command)
            #expect(r.code == 2)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines.first?.contains(cut.path) == true, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// An op outside the dense chain: one line naming the file once, the node, op and opset; exit 2.
    @Test func unsupportedOpIsOneLineExitTwo() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.model))
        // NodeProto.op_type (field 4, length 4) "Relu" → "Celu": the same length keeps the protobuf valid.
        let relu = Data([0x22, 0x04] + Array("Relu".utf8))
        let tanh = Data([0x22, 0x04] + Array("Celu".utf8))
        let at = try #require(bytes.range(of: relu))
        var edited = bytes
        edited.replaceSubrange(at, with: tanh)
        let bad = try CLI.temporaryDirectory().appendingPathComponent("celu.onnx")
        try edited.write(to: bad)
        let r = try CLI.run(["predict", bad.path, "--data", Self.sample] + Fixtures.adultColumns)
        #expect(r.code == 2 && r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.components(separatedBy: bad.path).count == 2, "the path once: \(r.stderr)")
        #expect(r.stderr.contains("(Celu, opset 17) cannot be run"), "\(r.stderr)")
    }

    @Test func convertToNpzKeepsTheExportersNames() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("weights.npz")
        let r = try CLI.run(["convert", Self.model, out.path])
        #expect(r.code == 0, "\(r.stderr)")
        let g = try Plugins.formats.read(out)
        #expect(g.tensors.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
    }
}
