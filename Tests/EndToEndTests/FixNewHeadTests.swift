import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit fix --new-head` end to end on the adult_transfer source model
/// (pre-trained on income, written by Keras 3 and numpy;
/// scripts/fixtures/make_transfer_fixtures.py): the new task `professional`,
/// the written file in the input's format with the new head's shapes and,
/// for Keras files, a model config that builds them.
@Suite struct FixNewHeadTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/EndToEndTests/Resources/transfer")
    static func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
    static let columns = ["--label", "professional", "--group", "sex", "--ignore", "race"]

    static func fix(_ model: String, to out: URL, _ extra: [String]) throws -> CLI.Result {
        try CLI.run(
            ["fix", file(model), "--data", file("task_sample.csv.gz")] + columns
                + ["--epochs", "2", "-o", out.path] + extra)
    }

    /// The Dense layers (name, units, activation) of a Keras config held in `graph`'s metadata.
    static func kerasDenses(_ graph: ModelGraph) throws -> [(String, Int, String)] {
        let text = try #require(
            graph.metadata.first { $0.key == "@model_config" || $0.key == "bundle@config.json" }?.value)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let layers = try #require((root["config"] as? [String: Any])?["layers"] as? [[String: Any]])
        return layers.compactMap { l in
            guard l["class_name"] as? String == "Dense", let c = l["config"] as? [String: Any] else { return nil }
            return (
                c["name"] as? String ?? "", (c["units"] as? NSNumber)?.intValue ?? -1, c["activation"] as? String ?? ""
            )
        }
    }

    @Test(arguments: ["source_mlp.h5", "source_mlp.keras"])
    func kerasCutAfterALayerWritesTheNewHeadInTheConfig(model: String) throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent(
            "cut." + URL(fileURLWithPath: model).pathExtension)
        let r = try Self.fix(model, to: out, ["--new-head-from", "dense"])
        #expect(r.code == 0, "\(r.stderr)")
        let back = try Plugins.formats.read(out)
        let denses = try Self.kerasDenses(back)
        #expect(denses.map(\.0) == ["dense", "dense_1"])
        #expect(denses.last?.1 == 1 && denses.last?.2 == "sigmoid")
        let head = try #require(back.layers?.last { $0.kind == .dense })
        #expect(try back.tensor(named: #require(head.weights[.kernel])).shape == [64, 1])
        #expect(try back.tensor(named: #require(head.weights[.bias])).shape == [1])
        #expect(back.tensors.count == 4, "the layers after the new head are gone")
        // The body's first layer is trained through its factors but keeps its shape.
        let first = try #require(back.layers?.first { $0.kind == .dense })
        #expect(try back.tensor(named: #require(first.weights[.kernel])).shape == [66, 64])
    }

    @Test func kerasNewHeadKeepsTheHeadsNameAndUnits() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("new.h5")
        let r = try Self.fix("source_mlp.h5", to: out, ["--new-head"])
        #expect(r.code == 0, "\(r.stderr)")
        let back = try Plugins.formats.read(out)
        let denses = try Self.kerasDenses(back)
        #expect(denses.map(\.0) == ["dense", "dense_1", "head"])
        #expect(denses.map(\.1) == [64, 32, 1])
        #expect(denses.last?.2 == "sigmoid")
    }

    @Test func stateDictHeadTensorsTakeTheNewShapes() throws {
        let dir = try CLI.temporaryDirectory()
        let cut = dir.appendingPathComponent("cut.npz")
        let whole = dir.appendingPathComponent("whole.npz")
        let r1 = try Self.fix("source_mlp_torch.npz", to: cut, ["--new-head-from", "net.0"])
        #expect(r1.code == 0, "\(r1.stderr)")
        let a = try Plugins.formats.read(cut)
        #expect(a.tensors.map(\.name) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"])
        #expect(a.tensors.map(\.shape) == [[64, 66], [64], [1, 64], [1]])
        let r2 = try Self.fix("source_mlp_torch.npz", to: whole, ["--new-head", "--method", "finetune"])
        #expect(r2.code == 0, "\(r2.stderr)")
        let b = try Plugins.formats.read(whole)
        let source = try Plugins.formats.read(URL(fileURLWithPath: Self.file("source_mlp_torch.npz")))
        #expect(b.tensors.map(\.shape) == source.tensors.map(\.shape))
        // Zero-initialized, the bias moved by training, but from 0 rather than the source's value.
        #expect(try b.tensor(named: "net.4.bias").floatValues() != source.tensor(named: "net.4.bias").floatValues())
    }

    @Test func freezeBodyTrainsOnlyTheHead() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("probe.npz")
        let r = try Self.fix("source_mlp_torch.npz", to: out, ["--new-head", "--freeze-body", "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        let a = try Plugins.formats.read(URL(fileURLWithPath: Self.file("source_mlp_torch.npz")))
        let b = try Plugins.formats.read(out)
        for name in ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"] {
            #expect(try a.tensor(named: name).rawBytes() == b.tensor(named: name).rawBytes(), "\(name) changed")
        }
        #expect(try a.tensor(named: "net.4.weight").rawBytes() != b.tensor(named: "net.4.weight").rawBytes())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((json["trainable_parameters"] as? NSNumber)?.intValue == 33)
    }

    @Test func transferLearnsTheNewTask() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("t.h5")
        let r = try CLI.run(
            ["fix", Self.file("source_mlp.h5"), "--data", Self.file("task_sample.csv.gz")] + Self.columns
                + ["--new-head", "--epochs", "8", "--json", "-o", out.path])
        #expect(r.code == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(
            ((json["metrics"] as? [String: Any])?["accuracy"] as? [String: Any])?["after"] as? Double)
        // The sample's base rate is 0.273: predicting "not professional" everywhere scores 0.727.
        #expect(accuracy > 0.76, "validation accuracy \(accuracy)")
        // Scores of the written file, read back through its format, are what the fixer validated.
        let scores = try Fixer.predictions(
            graph: Plugins.formats.read(out),
            data: LabeledData.load(
                from: URL(fileURLWithPath: Self.file("task_sample.csv.gz")),
                options: CSVDataOptions(label: "professional", groups: ["sex"], ignore: ["race"])))
        #expect(scores.count == 3000 && scores.allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// A plain float64 forward pass of the state dict's relu MLP from its arrays: P(positive).
    static func mlpScores(_ g: ModelGraph, _ x: [Float], rows: Int) throws -> [Double] {
        var h = (0..<rows).map { r in (0..<66).map { Double(x[r * 66 + $0]) } }
        for (k, layer) in ["net.0", "net.2", "net.4"].enumerated() {
            let w = try g.tensor(named: layer + ".weight")
            let wv = try w.doubleValues()
            let b = try g.tensor(named: layer + ".bias").doubleValues()
            let (nOut, nIn) = (w.shape[0], w.shape[1])
            h = h.map { row in
                (0..<nOut).map { o in
                    let z = b[o] + (0..<nIn).reduce(0.0) { $0 + wv[o * nIn + $1] * row[$1] }
                    return k < 2 ? max(z, 0) : z
                }
            }
        }
        return h.map { z in z.count == 2 ? 1 / (1 + exp(z[0] - z[1])) : 1 / (1 + exp(-z[0])) }
    }

    @Test(
        "the default transfer of the state dict writes an npz with the new head's shapes that a plain forward pass reads",
        arguments: [1, 2])
    func stateDictTransferHasTheNewHeadsShapes(classes: Int) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("transfer\(classes).npz")
        let r = try Self.fix(
            "source_mlp_torch.npz", to: out, ["--new-head", "--classes", "\(classes)", "--rank", "4"])
        #expect(r.code == 0, "\(r.stderr)")
        let source = try Plugins.formats.read(URL(fileURLWithPath: Self.file("source_mlp_torch.npz")))
        let written = try Plugins.formats.read(out)
        #expect(written.tensors.map(\.name) == source.tensors.map(\.name))
        #expect(
            written.tensors.map(\.shape) == [[64, 66], [64], [32, 64], [32], [classes, 32], [classes]],
            "\(written.tensors.map(\.shape))")
        #expect(written.tensors.allSatisfy { $0.dtype == .float32 })
        // The body was trained through its factors: its kernels moved, in PyTorch's out×in layout.
        #expect(try written.tensor(named: "net.0.weight").rawBytes() != source.tensor(named: "net.0.weight").rawBytes())
        let scoresFile = dir.appendingPathComponent("scores\(classes).npy")
        let p = try CLI.run(
            ["predict", out.path, "--data", Self.file("task_sample.csv.gz")] + Self.columns + ["-o", scoresFile.path]
                + (classes == 2 ? ["--head", "softmax"] : []))
        #expect(p.code == 0, "\(p.stderr)")
        let scores = try Plugins.formats.read(scoresFile).tensors[0].doubleValues()
        let data = try LabeledData.load(
            from: URL(fileURLWithPath: Self.file("task_sample.csv.gz")),
            options: CSVDataOptions(label: "professional", groups: ["sex"], ignore: ["race"]))
        let want = try Self.mlpScores(written, data.features, rows: 200)
        let worst = zip(scores.prefix(200), want).map { abs($0 - $1) }.max() ?? .infinity
        #expect(scores.count == 3000 && worst <= 1e-5, "largest difference \(worst)")
    }

    @Test func unknownCutLayerIsOneLineExitTwo() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("x.h5")
        let r = try Self.fix("source_mlp.h5", to: out, ["--new-head-from", "nope"])
        #expect(r.code == 2)
        #expect(r.stderr.contains("no layer 'nope'") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
