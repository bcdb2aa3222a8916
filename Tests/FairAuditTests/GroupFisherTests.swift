import Foundation
import Testing

@testable import FairAudit

/// Per-group Fisher against per-sample gradients computed independently.
@Suite struct GroupFisherTests {
    /// Against squared per-sample gradients from central differences of the
    /// float64 reference (no shared code with the executor's backward pass).
    @Test(arguments: TinyModel.all)
    func matchesFiniteDifferencePerSample(model: TinyModel) throws {
        let (graph, layers) = model.build()
        let net = try Network(graph: graph)
        var ref = try ReferenceNetwork(graph: graph, layers: layers)
        let rows = 12
        let (x, y, g) = TinyModel.data(rows: rows)
        let names = ["g0", "g1", "g2"]
        for kind in FisherKind.allCases {
            let fisher = try net.groupFisher(
                features: x, labels: y, rowGroups: g, groupNames: names, kind: kind, batchSize: 5)
            #expect(fisher.counts == [4, 4, 4])
            #expect(fisher.tensorNames == net.trainableNames)
            for (t, name) in fisher.tensorNames.enumerated() {
                var expected = [[Double]](repeating: [], count: 3)
                for r in 0..<rows {
                    let xr = (0..<5).map { Double(x[r * 5 + $0]) }
                    var sq: [Double]
                    switch kind {
                    case .empirical:
                        sq = ref.finiteDifference(name) { $0.loss(xr, Double(y[r])) }.map { $0 * $0 }
                    case .model:
                        let p1 = ref.probabilities(xr).last ?? 0
                        let g1 = ref.finiteDifference(name) { $0.loss(xr, 1) }
                        let g0 = ref.finiteDifference(name) { $0.loss(xr, 0) }
                        sq = zip(g1, g0).map { p1 * $0 * $0 + (1 - p1) * $1 * $1 }
                    }
                    let k = g[r]
                    expected[k] = expected[k].isEmpty ? sq : zip(expected[k], sq).map(+)
                }
                for k in 0..<3 {
                    let e = expected[k].map { $0 / 4 }
                    #expect(
                        close(fisher.values[k][t].map(Double.init), e, rtol: 3e-3, atol: 1e-7),
                        "\(model) \(kind) \(name) group \(k)")
                }
            }
        }
    }

    /// The squared-GEMM identity equals a per-row loop over the executor's
    /// own one-row gradients, at float precision, on two threads.
    @Test(arguments: [
        TinyModel(hidden: .relu, norm: .batch, head: .softmax, outputs: 2), TinyModel(hidden: .gelu, norm: .layer),
    ])
    func gemmIdentityEqualsPerRowLoop(model: TinyModel) throws {
        let (graph, _) = model.build()
        let net = try Network(graph: graph)
        let rows = 700
        let (x, y, g) = TinyModel.data(rows: rows, seed: 11)
        let fisher = try net.groupFisher(
            features: x, labels: y, rowGroups: g, groupNames: ["a", "b", "c"], batchSize: 64)
        var sums = [[[Double]]](
            repeating: net.trainableValues.map { [Double](repeating: 0, count: $0.count) }, count: 3)
        for r in 0..<rows {
            let one = try net.lossAndGradients(features: Array(x[(r * 5)..<(r * 5 + 5)]), labels: [y[r]], rows: 1)
            for (t, grad) in one.gradients.enumerated() {
                for (e, v) in grad.enumerated() { sums[g[r]][t][e] += Double(v) * Double(v) }
            }
        }
        for k in 0..<3 {
            for t in sums[k].indices {
                let e = sums[k][t].map { $0 / Double(fisher.counts[k]) }
                #expect(
                    close(fisher.values[k][t].map(Double.init), e, rtol: 1e-5, atol: 1e-9),
                    "\(model) \(fisher.tensorNames[t])")
            }
        }
        let again = try net.groupFisher(
            features: x, labels: y, rowGroups: g, groupNames: ["a", "b", "c"], batchSize: 64)
        #expect(again.values == fisher.values, "two runs must give bit-identical Fisher")
    }

    /// The Adult MLP on the first 50 sample rows against numpy's plain
    /// per-sample float64 loop (scripts/fixtures/make_exec_fixtures.py).
    @Test func adultMatchesNumpy() throws {
        let data = try Fixtures.adultSample().subset(Array(0..<50))
        let net = try Network(graph: Fixtures.adultKerasGraph())
        let fisher = try net.groupFisher(
            features: data.features, labels: data.labels, rowGroups: data.rowGroups,
            groupNames: data.groupNames)
        #expect(fisher.groupNames == ["Female", "Male"])
        #expect(fisher.counts == [17, 33])
        let expected = try Fixtures.tensors("adult_fisher50")
        for e in expected {
            let parts = e.name.split(separator: "/", maxSplits: 1).map(String.init)
            let got = try #require(fisher.values(group: parts[0], tensor: parts[1]))
            let want = try e.doubleValues()
            // 1e-4 relative to the tensor's largest value (float32 vs float64).
            #expect(close(got.map(Double.init), want, rtol: 1e-4, atol: 0), "\(e.name)")
        }
    }

    /// Permutation rounds summed in one pass (a GEMM with the membership
    /// matrix, the largest group as the total minus the rest) equal each
    /// assignment's Fisher computed on its own.
    @Test(arguments: [
        (TinyModel(hidden: .tanh, norm: .batch), FisherKind.empirical),
        (TinyModel(hidden: .gelu, norm: .layer, head: .softmax, outputs: 2), .model),
    ])
    func roundsInOnePassEqualSeparateRuns(model: TinyModel, kind: FisherKind) throws {
        let (graph, _) = model.build()
        let net = try Network(graph: graph)
        let rows = 600
        let (x, y, g) = TinyModel.data(rows: rows, seed: 5)
        var rng = SplitMix(state: 9)
        let assignments =
            [g]
            + (0..<4).map { _ in
                var p = g
                for i in stride(from: rows - 1, to: 0, by: -1) { p.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                return p
            }
        let all = try net.groupFisher(
            features: x, labels: y, assignments: assignments, groupNames: ["a", "b", "c"], kind: kind, batchSize: 50)
        #expect(all.count == 5)
        for (a, rg) in assignments.enumerated() {
            let one = try net.groupFisher(
                features: x, labels: y, rowGroups: rg, groupNames: ["a", "b", "c"], kind: kind)
            #expect(all[a].counts == one.counts)
            for k in 0..<3 {
                for t in one.values[k].indices {
                    #expect(
                        close(
                            all[a].values[k][t].map(Double.init), one.values[k][t].map(Double.init), rtol: 1e-4,
                            atol: 1e-9),
                        "assignment \(a) group \(k) \(one.tensorNames[t])")
                }
            }
        }
        #expect(throws: FairAuditError.self) {
            try net.groupFisher(
                features: x, labels: y, assignments: [g, g.map { _ in 0 }], groupNames: ["a", "b", "c"])
        }
    }

    @Test func badGroupIndexIsAnError() throws {
        let (graph, _) = TinyModel(hidden: .relu).build()
        let net = try Network(graph: graph)
        let (x, y, _) = TinyModel.data(rows: 4)
        #expect(throws: FairAuditError.self) {
            try net.groupFisher(features: x, labels: y, rowGroups: [0, 1, 2, 3], groupNames: ["a", "b"])
        }
    }
}
