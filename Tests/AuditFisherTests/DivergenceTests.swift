import AuditFisher
import Foundation
import Testing

/// numpy / scipy's numbers for three made-up groups' Fisher, written by
/// scripts/fixtures/make_fisher_fixtures.py (TV = ½Σ|P−Q|, JS =
/// `jensenshannon(P, Q, base=2)**2`, top-1% Jaccard with a stable argsort).
struct DivergenceFixture {
    let fisher: FisherByGroup
    let comparisons: [[String: Any]]
    let influential: [[String: Any]]

    static func load() throws -> DivergenceFixture {
        let url = try #require(
            Bundle.module.url(
                forResource: "divergence_expected", withExtension: "json",
                subdirectory: "Resources"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let groups = try #require(root["groups"] as? [String])
        let tensors = try #require(root["tensors"] as? [[String: Any]])
        let names = try tensors.map { try #require($0["name"] as? String) }
        let shapes = try tensors.map { try #require($0["shape"] as? [Int]) }
        let raw = try #require(root["values"] as? [String: [String: [Double]]])
        let values = try groups.map { g in try names.map { n in try #require(raw[g]?[n]).map(Float.init) } }
        let fisher = try FisherByGroup(
            tensorNames: names, shapes: shapes, groupNames: groups,
            counts: try #require(root["counts"] as? [Int]), values: values)
        return DivergenceFixture(
            fisher: fisher, comparisons: try #require(root["comparisons"] as? [[String: Any]]),
            influential: try #require(root["influential"] as? [[String: Any]]))
    }
}

@Test func pairAndRestDivergencesEqualNumpyAndScipy() throws {
    let fx = try DivergenceFixture.load()
    let layers = FisherUnit.layers(fx.fisher.tensorNames, layers: nil)
    #expect(layers == [FisherUnit(name: "dense", tensors: [0, 1])])
    let report = try FisherAnalysis.run(
        observed: fx.fisher, layers: layers, rowGroups: [], minGroupSize: 1,
        permutations: 0, seed: 0, top: 5
    ) { _ in [] }
    #expect(report.comparisons.count == fx.comparisons.count)
    #expect(report.pairs.count == 3 && report.againstRest.count == 3)
    for expected in fx.comparisons {
        let groups = try #require(expected["groups"] as? [String])
        let c = try #require(report.comparisons.first { $0.groups == groups }, "\(groups)")
        #expect(c.againstRest == (groups[1] == "rest"))
        let units = try #require(expected["units"] as? [String: [String: Double]])
        for u in c.tensors + c.layers {
            let e = try #require(units[u.name], "\(u.name)")
            #expect(abs(u.tv - (e["tv"] ?? .nan)) < 1e-9, "\(groups) \(u.name) tv")
            #expect(abs(u.js - (e["js"] ?? .nan)) < 1e-9, "\(groups) \(u.name) js")
            #expect(abs(u.top1Jaccard - (e["top1_jaccard"] ?? .nan)) < 1e-12, "\(groups) \(u.name) jaccard")
            #expect(u.pValue == nil && u.nullTVMean == nil)
        }
    }
    #expect(report.influential.count == 5)
    for (ours, e) in zip(report.influential, fx.influential) {
        #expect(ours.tensor == e["tensor"] as? String)
        #expect(ours.index == e["index"] as? Int)
        #expect(ours.multiIndex == e["multi_index"] as? [Int])
        #expect(abs(ours.difference - (e["spread"] as? Double ?? .nan)) < 1e-12)
        #expect(ours.fisher.count == 3)
        #expect(abs((ours.fisher.max() ?? 0) - (ours.fisher.min() ?? 0) - ours.difference) < 1e-15)
    }
}

@Test func measuresHitTheirBounds() throws {
    let p = try #require(FisherDivergence.normalized([Float]([1, 3, 0, 4])))
    #expect(abs(p.reduce(0, +) - 1) < 1e-15)
    #expect(FisherDivergence.totalVariation(p, p) == 0)
    #expect(FisherDivergence.jensenShannon(p, p) == 0)
    #expect(FisherDivergence.topJaccard(p, p) == 1)
    let a: [Double] = [0.5, 0.5, 0, 0]
    let b: [Double] = [0, 0, 0.25, 0.75]
    #expect(abs(FisherDivergence.totalVariation(a, b) - 1) < 1e-15)
    #expect(abs(FisherDivergence.jensenShannon(a, b) - 1) < 1e-15)
    #expect(FisherDivergence.topJaccard(a, b) == 0)
    #expect(FisherDivergence.normalized([Float]([0, 0])) == nil)
    // scipy: jensenshannon([0.2, 0.8], [0.6, 0.4], base=2)**2 = 0.12451124978365306
    #expect(abs(FisherDivergence.jensenShannon([0.2, 0.8], [0.6, 0.4]) - 0.12451124978365306) < 1e-12)
}

@Test func topCountAndTies() {
    #expect(FisherDivergence.topCount(50) == 1)
    #expect(FisherDivergence.topCount(250) == 2)
    #expect(FisherDivergence.topCount(1000) == 10)
    #expect(FisherDivergence.topIndices([1, 3, 3, 2], k: 2) == [1, 2])
}

@Test(arguments: [
    ("dense/kernel:0", "dense"), ("net.0.weight", "net.0"), ("layers/dense_1/vars/0", "layers/dense_1"),
    ("bias", "bias"),
])
func layerPrefixes(name: String, layer: String) {
    #expect(FisherUnit.layers([name], layers: nil).first?.name == layer)
}

@Test func multiIndexIsCOrder() {
    // numpy.unravel_index(286, (8, 50)) == (5, 36); (23, (2, 3, 4)) == (1, 2, 3)
    #expect(FisherAnalysis.multiIndex(286, shape: [8, 50]) == [5, 36])
    #expect(FisherAnalysis.multiIndex(23, shape: [2, 3, 4]) == [1, 2, 3])
}

@Test func mismatchedInputGivesNaNOrAnError() throws {
    #expect(FisherDivergence.totalVariation([1], [0.5, 0.5]).isNaN)
    #expect(FisherDivergence.jensenShannon([1], [0.5, 0.5]).isNaN)
    #expect(throws: FisherError.self) {
        try FisherByGroup(
            tensorNames: ["w"], shapes: [[2]], groupNames: ["a", "b"], counts: [1, 1],
            values: [[[1, 2]], [[1]]])
    }
    let f = try FisherByGroup(
        tensorNames: ["w"], shapes: [[2]], groupNames: ["a", "b"], counts: [1, 1],
        values: [[[1, 2]], [[2, 1]]])
    #expect(throws: FisherError.self) {
        try FisherAnalysis.run(
            observed: f, layers: [FisherUnit(name: "x", tensors: [3])], rowGroups: [],
            minGroupSize: 1, permutations: 0, seed: 0, top: 1
        ) { _ in [] }
    }
}

/// The quickselect top-k equals a plain stable sort (numpy's
/// `argsort(-p, kind="stable")[:k]`), ties at the cut included.
@Test(arguments: [1, 7, 50, 499])
func quickselectTopKEqualsAFullSort(k: Int) {
    var state: UInt64 = UInt64(k)
    let p: [Double] = (0..<5000).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double((state >> 33) % 40)  // many ties
    }
    let reference = Array(p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(k))
    #expect(FisherDivergence.topIndices(p, k: k) == reference)
}
