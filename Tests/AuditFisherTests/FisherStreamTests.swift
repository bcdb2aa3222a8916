import AuditFisher
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The Fisher audit folded run by run while the rows are read (``FisherStream``,
/// what `audit` runs, nothing holding the rows) against the audit on every
/// row held at once: the same per-row squared gradients (128-row blocks at
/// fixed slots) summed in double in another grouping, so every sum agrees
/// within 1e-12 relative and the report within 1e-9 relative, as any split
/// of the rows into shards does (FisherShardTests).
@Suite struct FisherStreamTests {
    static func resource(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"))
    }

    static let columns = CSVDataOptions(label: "income", groups: ["race"], ignore: ["sex"])

    static func options(permutations: Int) -> AuditOptions {
        var o = AuditOptions()
        o.audits[FisherAudit.self].permutations = permutations
        o.seed = 5
        o.audits[FisherAudit.self].top = 5
        o.minGroupSize = 10
        return o
    }

    static func close(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(abs($0), abs($1)) }
    }

    /// Folding adult_sample in uneven runs (one row, a prime, more than a
    /// block), with stream group ids in order of first appearance, gives the
    /// partial of all rows at once.
    @Test(arguments: [[2000], [1, 7, 129, 300, 1563], [1000, 1, 999]])
    func runsOfAnySizeGiveTheWholePartial(runs: [Int]) throws {
        let graph = try Plugins.formats.read(Self.resource("adult_mlp", "h5"))
        let data = try LabeledData.load(from: Self.resource("adult_sample.csv", "gz"), options: Self.columns)
        var options = Self.options(permutations: 4)
        var counts: [String: Int] = [:]
        for g in data.rowGroups { counts[data.groupNames[g], default: 0] += 1 }
        options.nullCounts = counts
        var context = AuditContext(graph: graph, data: data, scores: [], options: options)
        context.rowIDs = (0..<data.rowCount).map { UInt64($0) * 5 + 3 }
        let whole = try FisherPartial.merged([try FisherAudit.partial(context)], order: data.groupNames)

        // Stream ids: groups numbered as they first appear; `order` maps them to the data's groups.
        var order: [Int] = []
        var stream: [Int: Int] = [:]
        let groups = data.rowGroups.map { g -> Int in
            if let s = stream[g] { return s }
            stream[g] = order.count
            order.append(g)
            return order.count - 1
        }
        let sums = try #require(try FisherAudit.accumulator(graph: graph, options: options) as? FisherStream)
        let ids = try #require(context.rowIDs)
        let w = data.featureCount
        let scores = [Float](repeating: 0.5, count: data.rowCount)
        var start = 0
        for n in runs {
            let r = start..<(start + n)
            try data.features.withUnsafeBufferPointer { f in
                try scores.withUnsafeBufferPointer { s in
                    try data.labels.withUnsafeBufferPointer { l in
                        try groups.withUnsafeBufferPointer { g in
                            try ids.withUnsafeBufferPointer { i in
                                try sums.fold(
                                    AuditRows(
                                        firstRow: start, count: n,
                                        features: UnsafeBufferPointer(
                                            rebasing: f[(r.lowerBound * w)..<(r.upperBound * w)]),
                                        scores: UnsafeBufferPointer(rebasing: s[r]),
                                        labels: UnsafeBufferPointer(rebasing: l[r]),
                                        groups: UnsafeBufferPointer(rebasing: g[r]),
                                        rowIDs: UnsafeBufferPointer(rebasing: i[r])))
                            }
                        }
                    }
                }
            }
            start += n
        }
        #expect(start == data.rowCount)
        let folded = try FisherPartial.merged(
            [try sums.partial(groupNames: data.groupNames, order: order)], order: data.groupNames)
        #expect(folded.groupNames == whole.groupNames && folded.counts == whole.counts)
        #expect(folded.nullRows == whole.nullRows && folded.nullCounts == whole.nullCounts)
        for (a, b) in zip(folded.sums.joined(), whole.sums.joined()) { #expect(Self.close(a, b)) }
        for (a, b) in zip(folded.nullSums.joined().joined(), whole.nullSums.joined().joined()) {
            #expect(Self.close(a, b))
        }
        // Not vacuous: four rounds of null sums, each with tensors of non-zero sums.
        #expect(folded.nullSums.count == 4 && folded.nullSums.joined().joined().joined().contains { $0 > 0 })
    }

    /// `audit` (the runner) folds the Fisher with the fairness audit, the
    /// file read in tiny blocks so chunks end everywhere; with permutation
    /// rounds and no null counts a first pass counts the groups. The Fisher
    /// section equals the audit on every row at once.
    @Test(arguments: [0, 6])
    func theRunnerFoldsTheFisher(permutations: Int) throws {
        let options = Self.options(permutations: permutations)
        var request = AuditRequest(
            model: try Self.resource("adult_mlp", "h5"), data: try Self.resource("adult_sample.csv", "gz"),
            dataOptions: Self.columns, options: options)
        var tuning = CSVReadTuning()
        tuning.blockBytes = 9000
        tuning.chunks = 3
        tuning.minChunkBytes = 1000
        request.readTuning = tuning
        let folded = try AuditRunner.run(request)
        #expect(folded.scores.isEmpty && folded.data.rowGroups.isEmpty && folded.data.features.isEmpty)
        #expect(folded.results.map(\.name) == ["fairness", "fisher"])

        let graph = try Plugins.formats.read(request.model)
        let network = try Network(graph: graph)
        var whole = Self.columns
        whole.expectedFeatureCount = network.inputWidth
        let data = try LabeledData.load(from: request.data, options: whole)
        let single = try FisherAudit().run(AuditContext(graph: graph, data: data, scores: [], options: options))
        let fisher = try #require(folded.results.last)
        FisherShardTests.expectClose(fisher.json, single.json, tolerance: 1e-9)
        #expect(fisher.metrics.map(\.name) == single.metrics.map(\.name))
        if permutations > 0 {
            let p = single.json["pairs"]?.array?.first?["tensors"]?.array?.first?["p_value"]
            #expect(p != nil && p != .null)
        }
    }

    /// Without null counts the stream refuses permutation rounds (the null
    /// needs every group's count before the first row), and says so.
    @Test func permutationRoundsNeedTheCountsFirst() throws {
        let graph = try Plugins.formats.read(Self.resource("adult_mlp", "h5"))
        #expect(FisherAudit.needsGroupCounts(Self.options(permutations: 3)))
        #expect(!FisherAudit.needsGroupCounts(Self.options(permutations: 0)))
        #expect {
            _ = try FisherAudit.accumulator(graph: graph, options: Self.options(permutations: 3))
        } throws: { "\($0)".contains("null-counts") }
    }
}
