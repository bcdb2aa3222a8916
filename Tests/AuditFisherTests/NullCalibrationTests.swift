import AuditFisher
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The permutation null keyed by row id (docs/method.md §8) behaves as a
/// null: with groups assigned at random its p-values spread over (0, 1]
/// (not piled up near 0), and with a real difference between groups they
/// are small.
@Suite struct NullCalibrationTests {
    static func data(groups: [String]) throws -> (ModelGraph, LabeledData) {
        let graph = try Plugins.formats.read(FisherShardTests.resource("adult_mlp", "h5"))
        let data = try LabeledData.load(
            from: FisherShardTests.resource("adult_sample.csv", "gz"),
            options: CSVDataOptions(
                label: "income", groups: groups,
                ignore: ["sex", "race"].filter { !groups.contains($0) }))
        return (graph, data)
    }

    /// Per-tensor and per-layer p-values of the one pair, leaving out
    /// one-element tensors (their TV is 0 under any grouping).
    static func pValues(_ result: AuditResult) -> [Double] {
        let pair = result.json["pairs"]?.array?.first
        let units = (pair?["tensors"]?.array ?? []) + (pair?["layers"]?.array ?? [])
        return units.compactMap { u in (u["size"]?.double ?? 0) > 1 ? u["p_value"]?.double : nil }
    }

    @Test func randomGroupsGiveSpreadPValues() throws {
        let (graph, real) = try Self.data(groups: ["sex"])
        var all: [Double] = []
        for seed in 0..<8 {
            var rng = SplitMix64(seed: UInt64(seed), stream: 11)
            let groups = (0..<real.rowCount).map { _ in rng.next() % 3 == 0 ? 0 : 1 }
            let data = LabeledData(
                source: "random", featureNames: real.featureNames, features: real.features,
                labels: real.labels, groupColumns: ["random"], groupNames: ["a", "b"], rowGroups: groups)
            var options = AuditOptions()
            options.audits[FisherAudit.self].permutations = 20
            options.seed = UInt64(100 + seed)
            all += Self.pValues(
                try FisherAudit().run(AuditContext(graph: graph, data: data, scores: [], options: options)))
        }
        #expect(all.count >= 8 * 6)
        let mean = all.reduce(0, +) / Double(all.count)
        let small = Double(all.filter { $0 < 0.05 }.count) / Double(all.count)
        // Uniform p-values (p ≥ 1/20 granularity, ties count as reaching) have mean ≈ 0.5–0.55 and
        // P(p < 0.05) = 0; a broken null (rounds that never reach the observed TV) gives mean ≈ 0.
        #expect(mean > 0.3 && mean < 0.8, "mean p-value \(mean) over \(all.count)")
        #expect(small <= 0.15, "share of p < 0.05: \(small)")
        #expect(Set(all.map { ($0 * 20).rounded() }).count >= 6, "p-values take many values: \(all)")
    }

    @Test func aRealDifferenceGivesSmallPValues() throws {
        let (graph, data) = try Self.data(groups: ["sex"])
        var options = AuditOptions()
        options.audits[FisherAudit.self].permutations = 20
        let p = Self.pValues(
            try FisherAudit().run(AuditContext(graph: graph, data: data, scores: [], options: options)))
        // The first layer's kernel, and the first layer, diverge by sex beyond every round.
        #expect(p.first == 0, "\(p)")
        #expect(p.filter { $0 < 0.05 }.count >= 2, "\(p)")
    }
}
