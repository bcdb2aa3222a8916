import AuditFisher
import Testing

/// A constructed model: each row contributes a fixed squared-gradient vector
/// over one 40-parameter tensor; a group's Fisher is the mean over its rows,
/// so permuting rows between groups is exact and cheap.
private struct ToyRows {
    var rows: [[Float]]
    var rowGroups: [Int]

    func fisher(_ assignment: [Int]) -> [[[Float]]] {
        var sums = [[Float]](repeating: [Float](repeating: 0, count: 40), count: 2)
        var n = [0, 0]
        for (r, g) in assignment.enumerated() {
            n[g] += 1
            for i in 0..<40 { sums[g][i] += rows[r][i] }
        }
        return (0..<2).map { g in [sums[g].map { $0 / Float(max(n[g], 1)) }] }
    }

    func report(seed: UInt64 = 3) throws -> FisherReport {
        let counts = [rowGroups.filter { $0 == 0 }.count, rowGroups.filter { $0 == 1 }.count]
        let observed = try FisherByGroup(
            tensorNames: ["w"], shapes: [[40]], groupNames: ["a", "b"],
            counts: counts, values: fisher(rowGroups))
        return try FisherAnalysis.run(
            observed: observed, layers: [], rowGroups: rowGroups, minGroupSize: 10,
            permutations: 40, seed: seed, top: 3
        ) { fisher($0) }
    }

    /// 200 rows, 100 per group; `separated` puts group a's mass on the first
    /// 20 parameters and group b's on the last 20.
    static func make(separated: Bool) -> ToyRows {
        var state: UInt64 = 12345
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) + 0.01
        }
        var rows: [[Float]] = []
        var groups: [Int] = []
        for r in 0..<200 {
            let g = r % 2
            rows.append(
                (0..<40).map { i in
                    let boost: Float = separated && (i < 20) == (g == 0) ? 5 : 1
                    return uniform() * boost
                })
            groups.append(g)
        }
        return ToyRows(rows: rows, rowGroups: groups)
    }
}

@Test func identicalGroupsAreNotSignificant() throws {
    let r = try ToyRows.make(separated: false).report()
    let t = try #require(r.pairs.first?.tensors.first)
    let p = try #require(t.pValue)
    #expect(p > 0.1, "p = \(p) for groups drawn alike")
    #expect(!t.significant)
    #expect(abs((t.nullTVMean ?? 0) - t.tv) < 0.05)
}

@Test func separatedGroupsAreSignificant() throws {
    let r = try ToyRows.make(separated: true).report()
    let t = try #require(r.pairs.first?.tensors.first)
    #expect(t.pValue == 0)
    #expect(t.significant)
    #expect(t.tv > 0.5)
    #expect((t.nullTVMean ?? 1) < 0.1)
    #expect(r.influential.count == 3)
    #expect(r.auditMetrics.first { $0.name == "fisher_significant_tensors" }?.value == 1)
}

@Test func permutationsKeepGroupSizesAndFollowTheSeed() {
    let groups = (0..<100).map { $0 % 3 }
    let a = FisherAnalysis.permutedRowGroups(groups, round: 0, seed: 9)
    #expect(a == FisherAnalysis.permutedRowGroups(groups, round: 0, seed: 9))
    #expect(a != FisherAnalysis.permutedRowGroups(groups, round: 1, seed: 9))
    #expect(a != FisherAnalysis.permutedRowGroups(groups, round: 0, seed: 10))
    #expect(a != groups)
    for g in 0..<3 { #expect(a.filter { $0 == g }.count == groups.filter { $0 == g }.count) }
}

/// A one-element tensor (an output bias) normalizes to 1 for every group:
/// its TV is exactly 0 and never "significant", whatever rounding does.
@Test func oneElementTensorIsNeverSignificant() throws {
    let values: [[[Float]]] = [[[0.3], [1, 2]], [[0.7], [2, 1]], [[0.11], [1, 1]]]
    let observed = try FisherByGroup(
        tensorNames: ["bias", "w"], shapes: [[1], [2]], groupNames: ["a", "b", "c"],
        counts: [10, 20, 30], values: values)
    let r = try FisherAnalysis.run(
        observed: observed, layers: [], rowGroups: [], minGroupSize: 1, permutations: 4,
        seed: 0, top: 0
    ) { _ in [[[0.1], [1, 1]], [[0.9], [1, 1]], [[0.37], [1, 1]]] }
    for c in r.comparisons {
        #expect(c.tensors[0].tv == 0)
        #expect(c.tensors[0].pValue == 1)
        #expect(!c.tensors[0].significant)
        #expect(c.tensors[1].pValue == 0, "\(c.groups)")  // the null makes w uniform
    }
}
