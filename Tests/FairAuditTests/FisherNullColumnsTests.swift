import FairAudit
import Foundation
import Testing

/// The permutation null's sums, accumulated per pattern of null groups over
/// several rounds (``FisherNull`` draws, one weight column per pattern),
/// equal each round's per-group Fisher computed on its own from the same
/// draws (``Network/groupFisher(features:labels:rowGroups:groupNames:kind:batchSize:)``):
/// 1e-4 relative (float32 gradients of rows batched differently, summed in
/// double). Two groups and three, a column per round (the audit's layout)
/// and per pattern over tuples of three and five rounds (the last shorter).
@Suite struct FisherNullColumnsTests {
    @Test(arguments: [[400, 200], [300, 200, 100]], [1, 3, 5])
    func patternSumsGiveEveryRound(counts: [Int], roundsPerTuple: Int) throws {
        let (graph, _) = TinyModel(hidden: .tanh, norm: .batch).build()
        let net = try Network(graph: graph)
        let rows = counts.reduce(0, +)
        let (x, y, _) = TinyModel.data(rows: rows, seed: 7)
        let groups = counts.indices.flatMap { g in [Int](repeating: g, count: counts[g]) }
        let names = counts.indices.map { "g\($0)" }
        let null = FisherNull(rounds: 7, seed: 11, counts: counts)
        let sums = FisherAccumulator(network: net, kind: .empirical, null: null, roundsPerTuple: roundsPerTuple)
        let ids = (0..<rows).map { UInt64($0) * 3 + 1 }
        // Two pieces, as a stream adds them.
        let cut = rows / 3
        let w = net.inputWidth
        try sums.add(
            features: Array(x[0..<(cut * w)]), labels: Array(y[0..<cut]), rowGroups: Array(groups[0..<cut]),
            groupNames: names, rowIDs: Array(ids[0..<cut]))
        try sums.add(
            features: Array(x[(cut * w)...]), labels: Array(y[cut...]), rowGroups: Array(groups[cut...]),
            groupNames: names, rowIDs: Array(ids[cut...]))
        for r in 0..<null.rounds {
            let drawn = ids.map { null.group(round: r, id: $0) }
            let one = try net.groupFisher(features: x, labels: y, rowGroups: drawn, groupNames: names)
            #expect(sums.nullRows[r] == one.counts)
            for h in counts.indices {
                guard let s = sums.nullSums(round: r, group: h) else {
                    #expect(h == null.derived, "round \(r) group \(h) has no sums")
                    continue
                }
                let n = Double(one.counts[h])
                #expect(n > 0)
                for t in s.indices {
                    #expect(
                        close(s[t].map { $0 / n }, one.values[h][t].map(Double.init), rtol: 1e-4, atol: 1e-9),
                        "round \(r) group \(h) tensor \(t)")
                }
            }
        }
    }
}
