import Foundation
import Testing
@testable import FairAudit

@Suite("Fixer Fisher against the executor's")
struct FixerFisherTests {
    /// The fixer computes its importance with its own network; it must equal
    /// the audit's per-group Fisher (the executor, a separate implementation).
    @Test("per-group Fisher of every tensor equals Network.groupFisher", arguments: FixOptions.FisherKind.allCases)
    func matchesExecutor(kind: FixOptions.FisherKind) throws {
        let data = try FixerFixtures.adultSample()
        let graph = try FixerFixtures.adultModel()
        let net = try FixerNetwork(graph: graph)
        let ours = net.groupFisher(features: data.features, rows: Array(0..<data.rowCount), labels: data.labels,
                                   groups: data.rowGroups, groupCount: 2, kind: kind, batchSize: 300)
        let theirs = try Network(graph: graph).groupFisher(
            features: data.features, labels: data.labels, rowGroups: data.rowGroups, groupNames: data.groupNames,
            kind: kind == .empirical ? .empirical : .model)
        #expect(ours.counts == theirs.counts)
        var compared = 0
        for (p, name) in net.paramNames.enumerated() {
            let t = try #require(theirs.tensorNames.firstIndex(of: name))
            for g in 0..<2 {
                let a = ours.values[g][p], b = theirs.values[g][t]
                try #require(a.count == b.count)
                let scale = b.map { abs($0) }.max() ?? 0
                #expect(scale > 0)
                #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
                compared += a.count
            }
        }
        #expect(compared == 2 * 7297)
    }
}
