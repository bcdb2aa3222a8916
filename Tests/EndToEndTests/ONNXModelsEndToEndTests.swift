import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// Every ONNX fixture through the built binary: `audit` gives fairlearn's
/// metrics on onnxruntime's scores (expected_metrics.json, written by
/// scripts/fixtures/make_onnx_metrics.py), and `fix` writes a model whose
/// predictions, read back, give the metrics fix reported.
@Suite struct ONNXModelsEndToEndTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/FormatONNXTests/Resources")
    static let adult = CLI.packageRoot.appendingPathComponent("Tests/FairAuditTests/Resources/adult_sample.csv").path

    /// Model file → its rows and the columns that are not features.
    static let models: [String: [String]] = [
        "adult_mlp_torch.onnx": ["--data", adult, "--label", "income", "--group", "sex", "--ignore", "race"],
        "adult_mlp_sklearn.onnx": ["--data", adult, "--label", "income", "--group", "sex", "--ignore", "race"],
        "tabular_torch.onnx": [
            "--data", dir.appendingPathComponent("tabular.csv").path, "--label", "income", "--group", "sex",
        ],
        "ops_helper.onnx": [
            "--data", dir.appendingPathComponent("ops_helper.csv").path, "--label", "income", "--group", "sex",
        ],
        "cnn_torch.onnx": [
            "--data", dir.appendingPathComponent("cnn.csv").path, "--label", "income", "--group", "sex",
        ],
        "attention_torch.onnx": [
            "--data", dir.appendingPathComponent("attention.csv").path, "--label", "income", "--group", "sex",
        ],
    ]
    static let files = models.keys.sorted()
    /// How `fix` changes each model: a rank-2 factorization, or fine-tuning where no
    /// weight is wider than rank 2 (the CNN's 6 → 1 head and 3 × 3 kernels).
    static func fixMethod(_ file: String) -> [String] {
        file == "cnn_torch.onnx" ? ["--method", "finetune"] : ["--rank", "2"]
    }

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    }

    /// Rates and gaps within 1e-9 of fairlearn's (no onnxruntime score lies within 2e-5 of the
    /// threshold, and fairaudit's agree to 1e-5); mean scores within 1e-6.
    @Test(arguments: files)
    func auditEqualsFairlearnOnOnnxruntimeScores(file: String) throws {
        let r = try CLI.run(
            ["audit", Self.dir.appendingPathComponent(file).path] + (Self.models[file] ?? []) + ["--json"])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try Self.json(r)
        let all =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.dir.appendingPathComponent("expected_metrics.json"))) as? [String: Any]
        let want = try #require((all?["models"] as? [String: Any])?[file] as? [String: Any])
        let wantGroups = try #require(want["groups"] as? [String: [String: Any]])
        let groups = try #require(doc["groups"] as? [[String: Any]])
        #expect(groups.count == wantGroups.count && groups.count == 2)
        for g in groups {
            let name = try #require(g["name"] as? String)
            let e = try #require(wantGroups[name])
            #expect(g["count"] as? Int == e["count"] as? Int)
            for key in ["selection_rate", "tpr", "fpr", "accuracy"] {
                let a = try #require(g[key] as? Double)
                let b = try #require(e[key] as? Double)
                #expect(abs(a - b) <= 1e-9, "\(file) \(name) \(key): \(a) vs fairlearn \(b)")
            }
            let a = try #require(g["mean_score"] as? Double)
            let b = try #require(e["mean_score"] as? Double)
            #expect(abs(a - b) <= 1e-6, "\(file) \(name) mean score: \(a) vs \(b)")
        }
        let metrics = try #require(doc["metrics"] as? [String: [String: Any]])
        for (name, value) in try #require(want["metrics"] as? [String: Any]) {
            let b = try #require(value as? Double, "\(name)")
            let a = try #require(metrics[name]?["value"] as? Double, "\(file): metric \(name) missing")
            #expect(abs(a - b) <= 1e-9, "\(file) \(name): \(a) vs fairlearn \(b)")
        }
    }

    /// `fix` with the rows as its eval set: the written model, read back by
    /// `audit`, gives the after-metrics fix reported; the input is untouched and
    /// the graph (layers, metadata) is the same.
    @Test(arguments: files)
    func fixedModelPredictsWhatFixReported(file: String) throws {
        let input = Self.dir.appendingPathComponent(file)
        let before = try Data(contentsOf: input)
        let out = try CLI.temporaryDirectory().appendingPathComponent("fixed.onnx")
        let args = Self.models[file] ?? []
        let data = args[1]
        let r = try CLI.run(
            ["fix", input.path] + args + [
                "--eval", data, "--epochs", "2", "--seed", "1", "--force-write", "-o", out.path, "--json",
            ] + Self.fixMethod(file))
        #expect(r.code == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: input) == before, "the input was modified")
        let reported = try #require(try Self.json(r)["metrics"] as? [String: [String: Double]])
        let audit = try CLI.run(["audit", out.path] + args + ["--json", "--no-fisher"])
        #expect(audit.code == 0, "\(audit.stderr)")
        let metrics = try #require(try Self.json(audit)["metrics"] as? [String: [String: Any]])
        for key in ["accuracy", "demographic_parity_difference", "equalized_odds_difference"] {
            let a = try #require(metrics[key]?["value"] as? Double)
            let b = try #require(reported[key]?["after"])
            #expect(abs(a - b) <= 1e-9, "\(file) \(key): the written model gives \(a), fix reported \(b)")
        }
        let a = try Plugins.formats.read(input)
        let b = try Plugins.formats.read(out)
        #expect(a.layers == b.layers && a.metadata.map(\.value) == b.metadata.map(\.value))
        var changed = 0
        for (x, y) in zip(a.tensors, b.tensors) where try x.rawBytes() != y.rawBytes() { changed += 1 }
        #expect(changed > 0, "fix changed no initializer")
    }

    /// `--onnx-output` picks the head; it is refused on other formats, and named in --help apart from -o.
    @Test func onnxOutputOption() throws {
        let model = Self.dir.appendingPathComponent("ops_helper.onnx").path
        let args = Self.models["ops_helper.onnx"] ?? []
        let probs = try CLI.run(["audit", model] + args + ["--json", "--no-fisher"])
        let logits = try CLI.run(["audit", model] + args + ["--json", "--no-fisher", "--onnx-output", "logits"])
        #expect(probs.code == 0 && logits.code == 0, "\(logits.stderr)")
        let p = try #require(try Self.json(probs)["metrics"] as? [String: [String: Any]])
        let l = try #require(try Self.json(logits)["metrics"] as? [String: [String: Any]])
        #expect(p["accuracy"]?["value"] as? Double == l["accuracy"]?["value"] as? Double)
        let label = try CLI.run(["predict", model] + args + ["--onnx-output", "label"])
        #expect(
            label.code == 2 && label.stderr.contains("node 'argmax' (ArgMax, opset 17) cannot be run"),
            "\(label.stderr)")
        let npz = CLI.packageRoot.appendingPathComponent("Tests/FormatNPZTests/Resources/adult_mlp_torch.npz").path
        let other = try CLI.run(["inspect", npz, "--onnx-output", "score"])
        #expect(
            other.code == 2 && other.stderr.contains("--onnx-output and --allow-external-data apply to ONNX models"))
        let help = try CLI.run(["predict", "--help"])
        #expect(help.stdout.contains("--onnx-output <name>") && help.stdout.contains("--allow-external-data"))
    }
}
