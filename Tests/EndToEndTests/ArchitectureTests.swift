import Foundation
import Testing

/// `--architecture`, its fairaudit.toml keys, and what fairaudit says when it
/// infers a state dict's architecture (issue 11, items 3 and 4).
@Suite struct ArchitectureTests {
    static let data = ["--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns

    /// Scores from `predict` on sample.csv (stdout CSV), and the run.
    static func predict(_ args: [String]) throws -> ([Float], CLI.Result) {
        let r = try CLI.run(["predict"] + args + data)
        return (r.stdout.split(separator: "\n").dropFirst().compactMap { Float($0) }, r)
    }

    @Test func perLayerActivationsGiveKerasScores() throws {
        let keras = try Fixtures.npy(Fixtures.cli("mixed_scores.npy"))
        let (scores, r) = try Self.predict([Fixtures.cli("mixed_torch.npz"), "--activation", "tanh,relu"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(scores.count == 300)
        #expect(Fixtures.maxDifference(scores, keras) <= 1e-5)
        let notes = Fixtures.lines(r.stderr, starting: "fairaudit: note: ")
        #expect(notes.count == 1)
        #expect(
            notes.first?.contains("layers.0 (80→16) tanh → layers.2 (16→8) relu → layers.4 (8→1) sigmoid") == true,
            "\(r.stderr)")
        #expect(notes.first?.contains("the sigmoid head is the default") == true)
    }

    @Test func defaultActivationIsNamedInANote() throws {
        let keras = try Fixtures.npy(Fixtures.cli("mixed_scores.npy"))
        let (scores, r) = try Self.predict([Fixtures.cli("mixed_torch.npz")])
        #expect(r.code == 0, "\(r.stderr)")
        // relu is not this model's activation: the scores differ, and the note says relu was assumed.
        #expect(Fixtures.maxDifference(scores, keras) > 1e-2)
        let notes = Fixtures.lines(r.stderr, starting: "fairaudit: note: ")
        #expect(notes.count == 1)
        #expect(notes.first?.contains("mixed_torch.npz holds no architecture") == true)
        #expect(
            notes.first?.contains("relu between the dense layers and the sigmoid head are defaults") == true,
            "\(r.stderr)")
        #expect(notes.first?.contains("--activation") == true)
    }

    @Test func wrongActivationCountNamesTheLayers() throws {
        let (_, r) = try Self.predict([Fixtures.cli("mixed_torch.npz"), "--activation", "tanh,relu,relu"])
        #expect(r.code == 2)
        #expect(
            r.stderr
                == "fairaudit: \(Fixtures.cli("mixed_torch.npz")): cannot be run: 3 activations were given for 2 hidden dense layers ('layers.0', 'layers.2'); give one for all or one per hidden layer\n"
        )
        #expect(r.stdout.isEmpty)
    }

    @Test func architectureMapsAKerasConfigOntoStateDictNamesInFileOrder() throws {
        let keras = try Fixtures.npy(Fixtures.cli("mixed_scores.npy"))
        let (scores, r) = try Self.predict([
            Fixtures.cli("mixed_torch.npz"), "--architecture", Fixtures.cli("mixed.config.json"),
        ])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(Fixtures.maxDifference(scores, keras) <= 1e-5)
        #expect(
            r.stderr.contains(
                "fairaudit: note: mixed_torch.npz: matched the layers of mixed.config.json to its tensors in file "
                    + "order: dense ← layers.0, dense_1 ← layers.2, dense_2 ← layers.4"
            ), "\(r.stderr)")
    }

    @Test func twoUnitOutputAsksForSoftmax() throws {
        let (_, r) = try Self.predict([Fixtures.cli("softmax2_torch.npz")])
        #expect(r.code == 2)
        #expect(r.stderr.contains(Fixtures.cli("softmax2_torch.npz")))
        #expect(
            r.stderr.contains("has 2 units, which the default sigmoid head cannot score; pass --head softmax"),
            "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let keras = try Fixtures.npy(Fixtures.cli("softmax2_scores.npy"))
        let (scores, ok) = try Self.predict([Fixtures.cli("softmax2_torch.npz"), "--head", "softmax"])
        #expect(ok.code == 0, "\(ok.stderr)")
        #expect(Fixtures.maxDifference(scores, keras) <= 1e-5)
    }

    /// A policy in a fresh folder naming the mixed model, its data and `extra` keys.
    static func policy(_ extra: String, gate: String = "min_accuracy = 0.5") throws -> URL {
        let dir = try CLI.temporaryDirectory()
        for name in ["mixed_torch.npz", "mixed.config.json", "sample.csv"] {
            try FileManager.default.copyItem(
                at: Fixtures.cli.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let text = """
            model = "mixed_torch.npz"
            data = "sample.csv"
            label = "income"
            groups = ["sex"]
            ignore = ["race"]
            bootstrap = 0
            \(extra)
            [gate]
            \(gate)
            """
        let url = dir.appendingPathComponent("fairaudit.toml")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The mean of Keras' scores of the mixed model on sample.csv.
    static func kerasMeanScore() throws -> Double {
        let keras = try Fixtures.npy(Fixtures.cli("mixed_scores.npy"))
        return keras.reduce(0.0) { $0 + Double($1) } / Double(keras.count)
    }

    /// The overall mean score an audit --json reports.
    static func meanScore(_ json: String) throws -> Double {
        let doc = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let overall = try #require(doc["overall"] as? [String: Any])
        return try #require(overall["mean_score"] as? Double)
    }

    @Test(arguments: [
        "architecture = \"mixed.config.json\"", "activation = \"tanh,relu\"\nhead = \"sigmoid\"",
        "activation = [\"tanh\", \"relu\"]",
    ])
    func policyGivesTheArchitecture(keys: String) throws {
        let p = try Self.policy(keys)
        let r = try CLI.run(["audit", "--no-fisher", "--json"], in: p.deletingLastPathComponent())
        #expect(r.code == 0, "\(r.stderr)")
        #expect(abs(try Self.meanScore(r.stdout) - Self.kerasMeanScore()) < 1e-5)
        // --config with the same policy reads it too.
        let c = try CLI.run(["audit", "--config", p.path, "--no-fisher", "--json"])
        #expect(c.code == 0, "\(c.stderr)")
        #expect(abs(try Self.meanScore(c.stdout) - Self.kerasMeanScore()) < 1e-5)
    }

    @Test func architectureFlagKeepsThePolicy() throws {
        // The model needs an architecture file and is gated by the policy: a failing limit exits 1.
        let p = try Self.policy("", gate: "min_accuracy = 0.99")
        let dir = p.deletingLastPathComponent()
        let r = try CLI.run(
            ["audit", "--no-fisher", "--architecture", dir.appendingPathComponent("mixed.config.json").path], in: dir)
        #expect(r.code == 1, "\(r.stderr)")
        #expect(r.stderr.contains("FAIL min_accuracy"))
    }

    @Test func configGivenAJSONFileSaysToUseArchitecture() throws {
        let r = try CLI.run(
            ["audit", Fixtures.cli("mixed_torch.npz"), "--config", Fixtures.cli("mixed.config.json")] + Self.data)
        #expect(r.code == 2)
        #expect(
            r.stderr
                == "fairaudit: \(Fixtures.cli("mixed.config.json")): is JSON, but --config names a fairaudit.toml policy; pass a Keras model config with --architecture \(Fixtures.cli("mixed.config.json"))\n"
        )
    }

    @Test func weightsOnlyFileNamesTheFlagAndRunsWithIt() throws {
        // Alone in a folder: no config beside it.
        let weights = try CLI.temporaryDirectory().appendingPathComponent("adult_mlp.weights.h5").path
        try FileManager.default.copyItem(atPath: Fixtures.adultWeights, toPath: weights)
        let r = try CLI.run(
            ["audit", weights, "--no-fisher", "--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns)
        #expect(r.code == 2)
        #expect(r.stderr.hasPrefix("fairaudit: \(weights): cannot be run: the file holds weights only"), "\(r.stderr)")
        #expect(r.stderr.contains("with --architecture"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        let ok = try CLI.run(
            ["predict", weights, "--architecture", Fixtures.adultConfig, "--data", Fixtures.cli("sample.csv")]
                + Fixtures.adultColumns)
        #expect(ok.code == 0, "\(ok.stderr)")
        let scores = ok.stdout.split(separator: "\n").dropFirst().compactMap { Float($0) }
        #expect(Fixtures.maxDifference(scores, Array(try Fixtures.f32(Fixtures.adultSampleScores).prefix(300))) <= 1e-5)
        #expect(scores.count == 300)
    }

    @Test(arguments: ["audit", "fix", "predict", "inspect", "convert"])
    func helpNamesTheArchitectureFlags(command: String) throws {
        let r = try CLI.run([command, "--help"])
        #expect(r.code == 0)
        #expect(r.stdout.contains("--architecture") && r.stdout.contains("--exclude"))
        if ["audit", "fix", "predict"].contains(command) { #expect(r.stdout.contains("--config")) }
    }
}
