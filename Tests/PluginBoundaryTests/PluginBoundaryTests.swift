import FairAudit
import FairAuditPlugins
import FormatConformance
import Foundation
import Testing

/// A format and an audit defined here, in a test target, run through the
/// registry, the conformance checks, the audit runner, the gate and the
/// JSON report with no change to the library: plugins are types and list
/// entries.
@Suite struct PluginBoundaryTests {
    static let registry = FormatRegistry(Plugins.formats.formats + [TextFormat.self])

    static func resource(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"))
    }

    /// The Adult MLP's state dict (written by numpy) rewritten as a text-format file.
    static func textModel(in dir: URL) throws -> URL {
        let graph = try Plugins.formats.read(resource("adult_mlp_torch", "npz"))
        let url = dir.appendingPathComponent("adult_mlp.fatxt")
        try TextFormat.write(graph, to: url, basedOn: nil)
        return url
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func testOnlyFormatIsPickedByTheRegistryAndPassesConformance() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.textModel(in: dir)
        #expect(try Self.registry.format(for: url).name == "text")
        #expect(throws: FairAuditError.self) { try Plugins.formats.format(for: url) }
        let npz = try Plugins.formats.read(Self.resource("adult_mlp_torch", "npz"))
        let text = try Self.registry.read(url)
        #expect(text.layout == .torchStateDict)
        #expect(text.tensors.map(\.name) == npz.tensors.map(\.name))
        for (a, b) in zip(text.tensors, npz.tensors) { #expect(try a.floatValues() == b.floatValues(), "\(a.name)") }
        try Conformance.check(url, with: Self.registry)
    }

    @Test(arguments: [(1.0, true), (0.01, false)])
    func testOnlyAuditRunsThroughRunnerGateAndReport(limit: Double, passes: Bool) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Self.resource("adult_sample.csv", "gz")
        let csv = CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"])
        func request(_ model: URL) -> AuditRequest {
            var r = AuditRequest(
                model: model, data: data, dataOptions: csv,
                audits: Plugins.audits.filter { $0.name == "fairness" } + [BaseRateAudit.self],
                architecture: { g in g.layers = try g.inferredLayers(activations: [.relu], head: .sigmoid) })
            r.formats = Self.registry
            return r
        }
        let outcome = try AuditRunner.run(request(try Self.textModel(in: dir)))
        let reference = try AuditRunner.run(request(try Self.resource("adult_mlp_torch", "npz")))
        #expect(outcome.graph.format == "text")
        #expect(outcome.scores == reference.scores, "the same weights through two formats score alike")

        // Base rates counted here, from the CSV read on its own.
        let rows = try LabeledData.load(from: data, options: csv)
        var rates: [String: (Double, Double)] = [:]
        for (label, g) in zip(rows.labels, rows.rowGroups) {
            let name = rows.groupNames[g]
            rates[name, default: (0, 0)].0 += Double(label)
            rates[name, default: (0, 0)].1 += 1
        }
        let expected = rates.values.map { $0.0 / $0.1 }
        let gap = try #require(outcome.metrics.first { $0.name == "base_rate_difference" })
        #expect(abs(gap.value - ((expected.max() ?? 0) - (expected.min() ?? 0))) < 1e-12)
        #expect(gap.value > 0.05, "Adult's base rates differ by sex")

        var policy = Policy()
        policy.limits.append(Policy.Limit(metric: "base_rate_difference", kind: .max, bound: limit, line: 1))
        let checks = try policy.evaluate(outcome.metrics)
        let report = AuditReport(
            model: "adult_mlp.fatxt", graph: outcome.graph, dataPath: data.path, data: outcome.data,
            results: outcome.results, checks: checks, seconds: outcome.seconds, timing: outcome.timing)
        #expect(report.passed == passes)
        guard case .number(let v)? = report.json["metrics"]?["base_rate_difference"]?["value"] else {
            Issue.record("metrics.base_rate_difference missing from the JSON report")
            return
        }
        #expect(v == gap.value)
        guard case .array(let groups)? = report.json["base_rates"]?["groups"] else {
            Issue.record("base_rates.groups missing from the JSON report")
            return
        }
        #expect(groups.count == rates.count)
        #expect(report.json["timing"]?["base_rates_s"] != nil)
        #expect(report.json["format"] == .string("text"))
    }
}
