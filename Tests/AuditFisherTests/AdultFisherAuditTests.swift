import AuditFisher
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The Fisher audit end to end on the pre-trained Adult MLP (Keras 3 .h5)
/// over adult_sample by race: every pair and every group-vs-rest divergence,
/// per tensor and per layer, equals numpy's from a plain float64 per-sample
/// gradient loop (scripts/fixtures/make_fisher_fixtures.py). TV and JS to
/// 1e-4 (our Fisher is float32); top-1% Jaccard to 0.05 (a near-tie at the
/// cut may swap one parameter).
@Suite struct AdultFisherAuditTests {
    static func resource(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"))
    }

    static func context(permutations: Int, saveTo: URL? = nil) throws -> AuditContext {
        let graph = try Plugins.formats.read(resource("adult_mlp", "h5"))
        let data = try LabeledData.load(
            from: resource("adult_sample.csv", "gz"),
            options: CSVDataOptions(label: "income", groups: ["race"], ignore: ["sex"]))
        var options = AuditOptions()
        options.audits[FisherAudit.self].permutations = permutations
        options.audits[FisherAudit.self].save = saveTo
        options.audits[FisherAudit.self].top = 4
        options.formats = Plugins.formats
        return AuditContext(graph: graph, data: data, scores: [], options: options)
    }

    static func expected() throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: resource("adult_race_expected", "json")))
        return try #require(obj as? [String: Any])
    }

    @Test func divergencesEqualAPerSampleLoop() throws {
        let result = try FisherAudit().run(Self.context(permutations: 3))
        let expected = try Self.expected()
        let comparisons = try #require(expected["comparisons"] as? [[String: Any]])
        guard case .array(let pairs)? = result.json["pairs"], case .array(let rest)? = result.json["vs_rest"] else {
            Issue.record("no pairs / vs_rest")
            return
        }
        #expect(pairs.count == 3 && rest.count == 3)
        for e in comparisons {
            let groups = try #require(e["groups"] as? [String])
            let units = try #require(e["units"] as? [String: [String: Double]])
            let c = try #require(
                (pairs + rest).first { $0["groups"] == .array(groups.map { .string($0) }) }, "\(groups)")
            guard case .array(let tensors)? = c["tensors"], case .array(let layers)? = c["layers"] else {
                Issue.record("comparison without tensors")
                continue
            }
            #expect(tensors.count == 6 && layers.count == 3)
            let ours =
                tensors.enumerated().map { ("t\($0.offset)", $0.element) }
                + layers.map { (Self.layerKey($0), $0) }
            for (key, u) in ours {
                let want = try #require(units[key], "\(groups) \(key)")
                for (field, tol) in [("tv", 1e-4), ("js", 1e-4), ("top1_jaccard", 0.05)] {
                    guard case .number(let v)? = u[field] else {
                        Issue.record("\(key).\(field) missing")
                        continue
                    }
                    #expect(
                        abs(v - (want[field] ?? .nan)) <= tol,
                        "\(groups) \(key) \(field): \(v) vs \(want[field] ?? .nan)")
                }
                guard case .number(let p)? = u["p_value"] else {
                    Issue.record("\(key) p_value missing")
                    continue
                }
                #expect([0, 1.0 / 3, 2.0 / 3, 1].contains { abs($0 - p) < 1e-12 })
            }
        }
        #expect(result.metrics.first { $0.name == "fisher_tv_max" }.map { $0.value > 0 && $0.value <= 1 } == true)
    }

    /// `dense` / `dense_1` / `head` from however the graph names the layer.
    static func layerKey(_ layer: JSONValue) -> String {
        guard case .string(let name)? = layer["name"] else { return "?" }
        for key in ["dense_1", "head", "dense"] where name.contains(key) { return key }
        return name
    }

    /// `--save-fisher`: each group's raw Fisher as `<group>/<tensor>` float32
    /// arrays, in the format the extension names (through the registry);
    /// read back by content, White vs Black TV of the first kernel equals the
    /// per-sample loop's.
    @Test(arguments: [("npz", "npz"), ("safetensors", "safetensors")])
    func savedFisherReadsBack(ext: String, format: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fisher-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("fisher.\(ext)")
        let context = try Self.context(permutations: 0, saveTo: url)
        let result = try FisherAudit().run(context)
        #expect(result.json["saved_fisher"] == .string(url.path))
        #expect(try Plugins.formats.format(for: url).name == format)
        let saved = try Plugins.formats.read(url)
        let network = try Network(graph: context.graph)
        #expect(saved.tensors.count == 5 * network.trainableNames.count)
        let first = network.trainableNames[0]
        let white = try saved.tensor(named: "White/\(first)")
        let black = try saved.tensor(named: "Black/\(first)")
        #expect(white.dtype == .float32)
        #expect(white.shape == network.parameterShapes[network.parameterNames.firstIndex(of: first) ?? 0])
        let p = try #require(FisherDivergence.normalized(try white.floatValues()))
        let q = try #require(FisherDivergence.normalized(try black.floatValues()))
        let comparisons = try #require(try Self.expected()["comparisons"] as? [[String: Any]])
        let e = try #require(comparisons.first { ($0["groups"] as? [String]) == ["Black", "White"] })
        let want = try #require((e["units"] as? [String: [String: Double]])?["t0"]?["tv"])
        #expect(abs(FisherDivergence.totalVariation(p, q) - want) < 1e-4)
    }

    /// An extension no format writes is refused, naming the file, and nothing is written.
    @Test func savingToAnUnknownExtensionIsRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fisher-\(UUID().uuidString).txt")
        let context = try Self.context(permutations: 0, saveTo: url)
        #expect {
            try FisherAudit().run(context)
        } throws: { error in
            "\(error)".contains(url.path) && "\(error)".contains(".safetensors")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
