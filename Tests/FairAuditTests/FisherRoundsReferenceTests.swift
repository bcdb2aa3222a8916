import Foundation
import Testing

@testable import FairAudit

/// The permutation audit's sums (``FisherAccumulator``: observed groups and every round's summed
/// null groups in one pass) against a naive reference: each row's squared gradient on its own (the
/// row alone through the network, its squares summed in double), added up by loops over rows,
/// rounds and null groups wherever ``FisherNull`` drew the row. A random ReLU MLP on inputs mostly
/// zero (24 one-hot-like inputs: the input-by-input path), a 12-unit ReLU layer and a sigmoid
/// head (the output-by-output path); three observed groups, 20 rounds. Both sides run one row at
/// a time (`batchSize: 1`), so their float32 gradients are the same and the sums agree to 1e-12
/// relative.
@Suite struct FisherRoundsReferenceTests {
    @Test func everyRoundsSumsEqualAPerRowPerRoundLoop() throws {
        var rng = SplitMix(state: 41)
        let (nIn, hidden, rows) = (24, 12, 90)
        let tensors = [
            FixerFixtures.tensor("d0/kernel", [nIn, hidden], rng.floats(nIn * hidden, -0.6, 0.6)),
            FixerFixtures.tensor("d0/bias", [hidden], rng.floats(hidden, -0.2, 0.3)),
            FixerFixtures.tensor("d1/kernel", [hidden, 1], rng.floats(hidden, -1, 1)),
            FixerFixtures.tensor("d1/bias", [1], rng.floats(1, -0.2, 0.2)),
        ]
        let layers = [
            Layer(name: "in", kind: .input),
            Layer(
                name: "d0", kind: .dense, activation: .relu, units: hidden,
                weights: [.kernel: "d0/kernel", .bias: "d0/bias"]),
            Layer(
                name: "d1", kind: .dense, activation: .sigmoid, units: 1,
                weights: [.kernel: "d1/kernel", .bias: "d1/bias"]),
        ]
        let net = try Network(
            graph: ModelGraph(format: "test", layout: .kerasWeights, tensors: tensors, layers: layers))
        let x = rng.floats(rows * nIn, -2, 2).enumerated().map { i, v in
            Double((i &* 2_654_435_761) % 1000) / 1000 < 0.85 ? 0 : v
        }
        let y = (0..<rows).map { Float($0 % 3 == 0 ? 1 : 0) }
        let groups = (0..<rows).map { $0 % 5 < 2 ? 0 : ($0 % 5 < 4 ? 1 : 2) }
        let names = ["a", "b", "c"]
        let counts = names.indices.map { g in groups.filter { $0 == g }.count }
        let null = FisherNull(rounds: 20, seed: 9, counts: counts)
        let ids = (0..<rows).map { UInt64($0) * 5 + 2 }
        let audit = FisherAccumulator(network: net, kind: .empirical, null: null, batchSize: 1)
        try audit.add(features: x, labels: y, rowGroups: groups, groupNames: names, rowIDs: ids)

        // Each row's squared gradient, the row alone.
        let sizes = net.trainable.map { net.values[$0].count }
        let perRow: [[[Double]]] = (0..<rows).map { n in
            let one = FisherSums(counts: sizes, columns: 1)
            net.accumulateFisher(
                features: x, labels: y, rows: [n], kind: .empirical,
                weights: Membership(rows: 1, columns: 1, weights: [1]), into: one, column: 0)
            return sizes.indices.map { one.sums(slot: $0, column: 0) }
        }
        func naive(_ member: (Int) -> Bool) -> [[Double]] {
            var total = sizes.map { [Double](repeating: 0, count: $0) }
            for n in 0..<rows where member(n) {
                for s in sizes.indices { for i in 0..<sizes[s] { total[s][i] += perRow[n][s][i] } }
            }
            return total
        }
        func expectClose(_ got: [[Double]], _ want: [[Double]], _ what: String) {
            var worst = 0.0
            for (g, w) in zip(got, want) {
                for (a, b) in zip(g, w) { worst = max(worst, abs(a - b) / max(abs(b), 1e-300)) }
            }
            #expect(got.map(\.count) == want.map(\.count), "\(what): tensor sizes")
            #expect(worst <= 1e-12, "\(what): largest relative difference \(worst)")
        }
        for g in names.indices {
            let got = try #require(audit.groupSums(names[g]))
            expectClose(got, naive { groups[$0] == g }, "observed group \(names[g])")
        }
        for r in 0..<null.rounds {
            for h in names.indices {
                let drawn = (0..<rows).filter { null.group(round: r, id: ids[$0]) == h }
                #expect(audit.nullRows[r][h] == drawn.count, "round \(r) null group \(h): rows")
                guard let got = audit.nullSums(round: r, group: h) else {
                    #expect(h == null.derived, "round \(r) null group \(h) has no sums")
                    continue
                }
                let members = Set(drawn)
                expectClose(got, naive { members.contains($0) }, "round \(r) null group \(h)")
            }
        }
    }
}
