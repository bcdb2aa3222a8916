import AuditFisher
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The Fisher audit's partials (docs/method.md §8): any split of the rows,
/// merged in any order, gives the single run's Fisher section — divergences,
/// null means, p-values, influential weights — within 1e-9 relative (double
/// sums in another order); parts that do not add up are refused.
@Suite struct FisherShardTests {
    static func resource(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"))
    }

    /// The Adult MLP over adult_sample grouped by race (five groups: pairs and each against the rest).
    static func context(permutations: Int = 8) throws -> AuditContext {
        let graph = try Plugins.formats.read(resource("adult_mlp", "h5"))
        let data = try LabeledData.load(
            from: resource("adult_sample.csv", "gz"),
            options: CSVDataOptions(label: "income", groups: ["race"], ignore: ["sex"]))
        var options = AuditOptions()
        options.audits[FisherAudit.self].permutations = permutations
        options.seed = 7
        options.audits[FisherAudit.self].top = 5
        options.minGroupSize = 10
        return AuditContext(graph: graph, data: data, scores: [], options: options)
    }

    /// Rows `rows` of `data` as a shard of its own (its groups in first-seen order, as a shard reads them).
    static func shard(_ data: LabeledData, rows: [Int]) -> LabeledData {
        var names: [String] = []
        var index: [String: Int] = [:]
        let groups = rows.map { r -> Int in
            let name = data.groupNames[data.rowGroups[r]]
            if let g = index[name] { return g }
            index[name] = names.count
            names.append(name)
            return names.count - 1
        }
        let w = data.featureCount
        return LabeledData(
            source: "shard", featureNames: data.featureNames,
            features: rows.flatMap { data.features[($0 * w)..<(($0 + 1) * w)] },
            labels: rows.map { data.labels[$0] }, groupColumns: data.groupColumns,
            groupNames: names, rowGroups: groups)
    }

    /// Every number in `a` within `tolerance` (relative) of `b`'s; everything else equal.
    static func expectClose(_ a: JSONValue, _ b: JSONValue, tolerance: Double, at path: String = "fisher") {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            #expect(abs(x - y) <= tolerance * max(abs(x), abs(y)), "\(path): \(x) vs \(y)")
        case (.int(let x), .number(let y)), (.number(let y), .int(let x)):
            #expect(abs(Double(x) - y) <= tolerance * max(abs(y), 1), "\(path): \(x) vs \(y)")
        case (.array(let x), .array(let y)):
            #expect(x.count == y.count, "\(path): \(x.count) vs \(y.count) entries")
            for (i, (u, v)) in zip(x, y).enumerated() { expectClose(u, v, tolerance: tolerance, at: "\(path)[\(i)]") }
        case (.object(let x), .object(let y)):
            #expect(x.map(\.0) == y.map(\.0), "\(path): keys")
            for ((k, u), (_, v)) in zip(x, y) { expectClose(u, v, tolerance: tolerance, at: "\(path).\(k)") }
        default:
            #expect(a == b, "\(path)")
        }
    }

    @Test(arguments: [1, 2, 3, 7])
    func anySplitMergesIntoTheSingleRun(shards: Int) throws {
        let context = try Self.context()
        let single = try FisherAudit().run(context)
        let data = context.data
        var counts: [String: Int] = [:]
        for g in data.rowGroups { counts[data.groupNames[g], default: 0] += 1 }
        // Shards of uneven sizes, each a random set of rows (not contiguous), merged in a shuffled order.
        var rng = SplitMix64(seed: UInt64(shards), stream: 3)
        var rows = Array(0..<data.rowCount)
        rng.shuffle(&rows)
        var cuts = (0..<(shards - 1)).map { _ in Int(rng.next() % UInt64(data.rowCount)) }.sorted()
        cuts = [0] + cuts + [data.rowCount]
        var parts: [FisherPartial] = []
        for s in 0..<shards {
            let mine = Array(rows[cuts[s]..<cuts[s + 1]])
            var c = AuditContext(
                graph: context.graph, data: Self.shard(data, rows: mine), scores: [], options: context.options)
            c.options.nullCounts = counts
            c.rowIDs = mine.map { UInt64($0) }
            parts.append(try FisherAudit.partial(c))
        }
        rng.shuffle(&parts)
        let merged = try FisherPartial.merged(parts, order: data.groupNames)
        #expect(merged.counts == data.groupNames.indices.map { g in data.rowGroups.filter { $0 == g }.count })
        let result = try FisherAudit.result(merged, options: context.options)
        Self.expectClose(result.json, single.json, tolerance: 1e-9)
        // The comparison is not vacuous: the report has p-values and several comparisons.
        guard case .array(let rest)? = single.json["vs_rest"] else {
            Issue.record("no vs_rest")
            return
        }
        #expect(rest.count >= 3)
        let p = single.json["pairs"]?.array?.first?["tensors"]?.array?.first?["p_value"]
        #expect(p != nil && p != .null)
    }

    /// A partial written out and read back is the same partial, bit for bit.
    @Test func partialsRoundTripThroughJSON() throws {
        let context = try Self.context(permutations: 3)
        let part = try FisherAudit.partial(context)
        let text = part.json(top: 5).serialized()
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let (back, top) = try FisherPartial.read(doc) { FairAuditError.invalidInput(path: "p.json", reason: $0) }
        #expect(back == part)
        #expect(top == 5)
    }

    /// Parts of other tensors, kind, rounds, seed or null counts are refused, naming what differs.
    @Test func mergeRefusesPartsThatDoNotAdd() throws {
        let context = try Self.context(permutations: 2)
        let part = try FisherAudit.partial(context)
        var tensors = part
        var kind = part
        var rounds = part
        var seed = part
        var counts = part
        tensors.tensorNames[0] = "other/kernel"
        kind.kind = .model
        rounds.permutations = 3
        seed.seed = 8
        counts.nullCounts[0] += 1
        for (bad, word) in [
            (tensors, "tensors"), (kind, "model"), (rounds, "3 permutation rounds"), (seed, "seed 8"),
            (counts, "group counts"),
        ] {
            #expect(part.disagreement(with: bad)?.contains(word) == true, "\(word)")
            #expect(throws: FisherError.self) { try FisherPartial.merged([part, bad], order: context.data.groupNames) }
        }
        #expect(part.disagreement(with: part) == nil)
    }
}
