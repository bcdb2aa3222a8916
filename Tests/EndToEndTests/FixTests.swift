import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit fix` end to end on every format the Adult MLP comes in: the
/// output is the input's own format with only layer kernels and biases
/// changed, the input untouched, and the same seed gives the same bytes.
@Suite struct FixTests {
    static let root = CLI.packageRoot
    static let data = root.appendingPathComponent("examples/adult/groups.csv").path
    static let models = [
        "Tests/FormatHDF5Tests/Resources/adult_mlp.h5",
        "Tests/FormatHDF5Tests/Resources/adult_mlp_keras2.h5",
        "Tests/FormatHDF5Tests/Resources/adult_mlp.keras",
        "Tests/FormatHDF5Tests/Resources/adult_mlp_torch.h5",
        "Tests/FormatNPZTests/Resources/adult_mlp_torch.npz",
    ]

    static func fix(_ model: String, to out: URL, seed: Int = 0, extra: [String] = []) throws -> CLI.Result {
        try CLI.run(
            [
                "fix", root.appendingPathComponent(model).path, "--data", data, "--label", "income",
                "--group", "sex", "--ignore", "race", "--epochs", "1", "--seed", String(seed), "-o", out.path,
                // These tests are about writing; whether one epoch on 2,000 rows helps is not.
                "--force-write",
            ] + extra)
    }

    @Test(arguments: models)
    func onlyLayerWeightsChange(model: String) throws {
        let input = Self.root.appendingPathComponent(model)
        let before = try Data(contentsOf: input)
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("fixed." + (model.hasSuffix(".keras") ? "keras" : input.pathExtension))
        let r = try Self.fix(model, to: out)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: input) == before, "the input was modified")
        let a = try Plugins.formats.read(input)
        let b = try Plugins.formats.read(out)
        #expect(a.format == b.format && a.layout == b.layout)
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        #expect(a.tensors.map(\.shape) == b.tensors.map(\.shape))
        #expect(a.tensors.map(\.dtype) == b.tensors.map(\.dtype))
        #expect(a.metadata.map(\.key) == b.metadata.map(\.key))
        #expect(a.metadata.map(\.value) == b.metadata.map(\.value))
        var changed: [String] = []
        for (x, y) in zip(a.tensors, b.tensors) where try x.rawBytes() != y.rawBytes() { changed.append(x.name) }
        let layerWeights = Set((a.layers ?? []).flatMap { $0.weights.values })
        #expect(!changed.isEmpty)
        for name in changed {
            if a.layers != nil { #expect(layerWeights.contains(name), "\(name) changed but is not a layer weight") }
            #expect(
                name.contains("kernel") || name.contains("bias") || name.contains("weight") || name.contains("vars"),
                "\(name) changed")
        }
        #expect(!changed.contains { $0.hasPrefix("optimizer") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 1, "temporary files left behind")
    }

    @Test(arguments: [
        "Tests/FormatHDF5Tests/Resources/adult_mlp.h5", "Tests/FormatNPZTests/Resources/adult_mlp_torch.npz",
    ])
    func sameSeedGivesTheSameBytes(model: String) throws {
        let dir = try CLI.temporaryDirectory()
        let ext = URL(fileURLWithPath: model).pathExtension
        let one = dir.appendingPathComponent("one.\(ext)")
        let two = dir.appendingPathComponent("two.\(ext)")
        let three = dir.appendingPathComponent("three.\(ext)")
        #expect(try Self.fix(model, to: one).code == 0)
        #expect(try Self.fix(model, to: two).code == 0)
        #expect(try Self.fix(model, to: three, seed: 1).code == 0)
        #expect(try Data(contentsOf: one) == Data(contentsOf: two))
        #expect(try Data(contentsOf: one) != Data(contentsOf: three))
    }

    @Test func refusesToOverwriteWithoutForceAndNeverWritesTheInput() throws {
        let dir = try CLI.temporaryDirectory()
        let model = "Tests/FormatNPZTests/Resources/adult_mlp_torch.npz"
        let out = dir.appendingPathComponent("exists.npz")
        try Data("keep me".utf8).write(to: out)
        let r = try Self.fix(model, to: out)
        #expect(r.code == 2 && r.stderr.contains("already exists"))
        #expect(try String(contentsOf: out, encoding: .utf8) == "keep me")
        let r2 = try Self.fix(model, to: out, extra: ["--force"])
        #expect(r2.code == 0, "\(r2.stderr)")
        let same = try Self.fix(model, to: Self.root.appendingPathComponent(model), extra: ["--force"])
        #expect(same.code == 2 && same.stderr.contains("never writes over its input"))
    }

    /// A fix option out of range is the user's error: one line naming it, exit 2, nothing written.
    @Test(arguments: [
        (["--rank", "0"], "--rank must be at least 1"), (["--epochs", "0"], "--epochs must be at least 1"),
        (["--validation", "1.5"], "--validation must be in [0, 1)"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ])
    func badOptionIsOneLine(args: [String], message: String) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("never.npz")
        let r = try Self.fix("Tests/FormatNPZTests/Resources/adult_mlp_torch.npz", to: out, extra: args)
        #expect(r.code == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func jsonReportsTheBeforeAfterTable() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try Self.fix(
            "Tests/FormatHDF5Tests/Resources/adult_mlp.h5", to: dir.appendingPathComponent("f.h5"),
            extra: ["--json", "--rank", "4"])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let metrics = try #require(doc["metrics"] as? [String: [String: Double]])
        for key in [
            "accuracy", "demographic_parity_difference", "equalized_odds_difference", "equal_opportunity_difference",
        ] {
            #expect(metrics[key]?["before"] != nil && metrics[key]?["after"] != nil, "\(key)")
        }
        // The pre-trained model's accuracy on the validation split is the executor's; it is a probability.
        #expect((0.5...1).contains(metrics["accuracy"]?["before"] ?? 0))
        let trainable = try #require(doc["trainable_parameters"] as? Int)
        let full = try #require(doc["full_finetune_parameters"] as? Int)
        // Rank 4: dense 80×4+4×64 + dense_1 64×4+4×32 + head 32×1 whole, plus biases 64+32+1.
        #expect(full == 7297)
        #expect(trainable == 80 * 4 + 4 * 64 + 64 * 4 + 4 * 32 + 32 + 64 + 32 + 1)
        #expect(doc["chosen_epoch"] as? Int == 1)
    }
}
