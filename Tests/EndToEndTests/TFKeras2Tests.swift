import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The tf.keras 2 test set (Tests/FairAuditTests/Resources/tfkeras2, written
/// by tf-keras 2.21) through the built binary: every file inspects, audits
/// with fairlearn's metrics on tf.keras's scores, fixes, and converts to
/// `.keras`, `.h5`, `.weights.h5` and a torch-layout `.npz`.
@Suite struct TFKeras2EndToEndTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/FairAuditTests/Resources/tfkeras2")
    static let rows = dir.appendingPathComponent("rows.csv.gz").path
    /// File → the model whose tf.keras scores (and fairlearn metrics) it must give.
    static let models: [String: String] = [
        "seq_bn.h5": "seq_bn", "seq_acts.h5": "seq_acts", "func_bn.h5": "func_bn", "func_acts.h5": "func_acts",
        "seq_bn_weights.h5": "seq_bn",
    ]
    static let files = models.keys.sorted()

    static func audit(_ model: URL) throws -> CLI.Result {
        try CLI.run([
            "audit", model.path, "--data", rows, "--label", "income", "--group", "sex", "--ignore", "race", "--json",
        ])
    }

    /// Checks an `audit --json` document against fairlearn's metrics on
    /// tf.keras's scores: rates and gaps within 1e-9 (no score lies within
    /// 1e-4 of the threshold), mean scores within 1e-6 (scores agree to 1e-5).
    static func expectFairlearnMetrics(
        _ r: CLI.Result, model: String, context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(r.code == 0, "\(context): \(r.stderr)", sourceLocation: sourceLocation)
        let doc = try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(context): \(r.stdout)")
        let all =
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json")))
            as? [String: Any]
        let cases = try #require(
            ((all?["models"] as? [String: Any])?[model] as? [String: Any])?["cases"] as? [[String: Any]])
        let want = try #require(cases.first { ($0["columns"] as? [String]) == ["sex"] })
        let wantGroups = try #require(want["groups"] as? [String: [String: Any]])
        let groups = try #require(doc["groups"] as? [[String: Any]])
        #expect(groups.count == wantGroups.count, sourceLocation: sourceLocation)
        for g in groups {
            let name = try #require(g["name"] as? String)
            let e = try #require(wantGroups[name], "\(context): group \(name)")
            #expect(g["count"] as? Int == e["count"] as? Int, sourceLocation: sourceLocation)
            for key in ["selection_rate", "tpr", "fpr", "accuracy"] {
                let a = try #require(g[key] as? Double)
                let b = try #require(e[key] as? Double)
                #expect(
                    abs(a - b) <= 1e-9, "\(context) \(name) \(key): \(a) vs fairlearn \(b)",
                    sourceLocation: sourceLocation)
            }
            let a = try #require(g["mean_score"] as? Double)
            let b = try #require(e["mean_score"] as? Double)
            #expect(abs(a - b) <= 1e-6, "\(context) \(name) mean score: \(a) vs \(b)", sourceLocation: sourceLocation)
        }
        let metrics = try #require(doc["metrics"] as? [String: [String: Any]])
        let wantMetrics = try #require(want["metrics"] as? [String: Any])
        for (name, value) in wantMetrics {
            let got = try #require(metrics[name]?["value"], "\(context): metric \(name) missing")
            if let b = value as? Double {
                let a = try #require(got as? Double, "\(context) \(name)")
                #expect(
                    abs(a - b) <= 1e-9, "\(context) \(name): \(a) vs fairlearn \(b)", sourceLocation: sourceLocation)
            } else {
                #expect(got is NSNull, "\(context) \(name): fairlearn gives NaN", sourceLocation: sourceLocation)
            }
        }
    }

    /// `fairaudit predict` scores every row as tf.keras `predict` did, within
    /// 1e-5, from the tf.keras file and from the `.keras` and `.h5` it converts to.
    @Test(arguments: files)
    func predictsTFKerasScores(file: String) throws {
        let model = try #require(Self.models[file])
        let want = try #require(
            try Plugins.formats.read(Self.dir.appendingPathComponent(model + "_scores.npy")).tensors.first
        ).floatValues()
        let tmp = try CLI.temporaryDirectory()
        let keras = tmp.appendingPathComponent("m.keras")
        let h5 = tmp.appendingPathComponent("m.h5")
        #expect(try CLI.run(["convert", Self.dir.appendingPathComponent(file).path, keras.path]).code == 0)
        #expect(try CLI.run(["convert", keras.path, h5.path]).code == 0)
        for (i, m) in [Self.dir.appendingPathComponent(file), keras, h5].enumerated() {
            let out = tmp.appendingPathComponent("scores\(i).npy")
            let r = try CLI.run([
                "predict", m.path, "--data", Self.rows, "--label", "income", "--group", "sex", "--ignore", "race",
                "-o", out.path,
            ])
            #expect(r.code == 0, "\(m.lastPathComponent): \(r.stderr)")
            let got = try #require(try Plugins.formats.read(out).tensors.first).floatValues()
            #expect(got.count == want.count && want.count == 400)
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(file) as \(m.lastPathComponent): largest difference from tf.keras \(worst)")
        }
    }

    @Test(arguments: files)
    func inspects(file: String) throws {
        let r = try CLI.run(["inspect", "--json", "--no-stats", Self.dir.appendingPathComponent(file).path])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let layers = try #require(doc["layers"] as? [[String: Any]], "no architecture: \(r.stdout.prefix(400))")
        #expect(layers.count >= 5)
        if file.contains("bn") { #expect(r.stdout.contains("BatchNormalization")) }
        #expect(r.stderr.isEmpty || !r.stderr.contains("axis"), "\(r.stderr)")
    }

    @Test(arguments: files)
    func auditsGiveFairlearnMetricsOnTFKerasScores(file: String) throws {
        let model = try #require(Self.models[file])
        try Self.expectFairlearnMetrics(
            try Self.audit(Self.dir.appendingPathComponent(file)), model: model, context: file)
    }

    /// Every file fixes, func_bn.h5's LayerNormalization included (the graph
    /// executor trains through it).
    @Test(arguments: files)
    func fixes(file: String) throws {
        try fixOne(file)
    }

    func fixOne(_ file: String) throws {
        let input = Self.dir.appendingPathComponent(file)
        let before = try Data(contentsOf: input)
        let out = try CLI.temporaryDirectory().appendingPathComponent("fixed.h5")
        let r = try CLI.run([
            "fix", input.path, "--data", Self.rows, "--label", "income", "--group", "sex", "--ignore", "race",
            "--epochs", "1", "--force-write", "-o", out.path,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: input) == before, "the input was modified")
        let a = try Plugins.formats.read(input)
        let b = try Plugins.formats.read(out)
        #expect(a.layout == b.layout && a.tensors.map(\.name) == b.tensors.map(\.name))
        var changed = 0
        for (x, y) in zip(a.tensors, b.tensors) where try x.rawBytes() != y.rawBytes() { changed += 1 }
        #expect(changed > 0, "fix changed no weight")
    }

    /// `.keras` and a full `.h5` (from the `.keras`) audit exactly as the
    /// tf.keras file does; `.weights.h5` holds every layer weight unchanged;
    /// a torch-layout `.npz` holds them under PyTorch names.
    @Test(arguments: files)
    func converts(file: String) throws {
        let model = try #require(Self.models[file])
        let input = Self.dir.appendingPathComponent(file)
        let tmp = try CLI.temporaryDirectory()
        let keras = tmp.appendingPathComponent("m.keras")
        let h5 = tmp.appendingPathComponent("m.h5")
        let weights = tmp.appendingPathComponent("m.weights.h5")
        let npz = tmp.appendingPathComponent("m.npz")
        for (from, to, extra) in [
            (input, keras, [String]()), (keras, h5, []), (input, weights, []), (input, npz, ["--layout", "torch"]),
        ] {
            let r = try CLI.run(["convert", from.path, to.path] + extra)
            #expect(r.code == 0, "\(file) → \(to.lastPathComponent): \(r.stderr)")
        }
        #expect(try Plugins.formats.read(keras).layout == .kerasBundle)
        #expect(try Plugins.formats.read(h5).layout == .kerasLegacy)
        try Self.expectFairlearnMetrics(try Self.audit(keras), model: model, context: "\(file) → .keras")
        try Self.expectFairlearnMetrics(try Self.audit(h5), model: model, context: "\(file) → .keras → .h5")

        let source = try Plugins.formats.read(input)
        var written = try Plugins.formats.read(weights)
        #expect(written.layout == .keras3Weights)
        let config = try #require(
            source.metadata.first { $0.key == "@model_config" || $0.key == "architecture@config" }?.value)
        try KerasConfig.apply(json: config, to: &written)
        let a = try #require(source.layers)
        let b = try #require(written.layers, "\(written.architectureNote ?? "")")
        #expect(a.map(\.name) == b.map(\.name))
        for (x, y) in zip(a, b) {
            for (role, name) in x.weights {
                let w = try written.tensor(named: try #require(y.weights[role], "\(x.name)/\(role)"))
                #expect(try source.tensor(named: name).rawBytes() == w.rawBytes(), "\(x.name)/\(role)")
            }
        }
        let torch = try Plugins.formats.read(npz)
        #expect(torch.layout == .torchStateDict)
        #expect(torch.tensors.count == a.reduce(0) { $0 + $1.weights.count })
    }
}
