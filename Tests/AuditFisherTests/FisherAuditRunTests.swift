import AuditFisher
import FairAudit
import Foundation
import Testing

/// Rows with fixed squared-gradient vectors over two tensors `d/kernel` (2×3)
/// and `d/bias` (3); a group's Fisher is the mean over its rows.
private func toySource(_ rows: [[Float]], groups: Int) -> ([Int]) -> (counts: [Int], values: [[[Float]]]) {
    return { assignment in
        var sums = [[Float]](repeating: [Float](repeating: 0, count: 9), count: groups)
        var n = [Int](repeating: 0, count: groups)
        for (r, g) in assignment.enumerated() {
            n[g] += 1
            for i in 0..<9 { sums[g][i] += rows[r][i] }
        }
        let mean = (0..<groups).map { g in sums[g].map { $0 / Float(max(n[g], 1)) } }
        return (n, mean.map { [Array($0[0..<6]), Array($0[6..<9])] })
    }
}

@Test func auditRunReportsDocumentedJSON() throws {
    var rows: [[Float]] = []
    var rowGroups: [Int] = []
    for r in 0..<205 {
        let g = r < 100 ? 0 : (r < 200 ? 1 : 2)
        rows.append((0..<9).map { i in Float((r * 7 + i * 13) % 11 + 1) * (g == 0 && i == 4 ? 6 : 1) })
        rowGroups.append(g)
    }
    let data = LabeledData(
        source: "toy", featureNames: [], features: [], labels: rowGroups.map { _ in 0 },
        groupColumns: ["g"], groupNames: ["a", "b", "c"], rowGroups: rowGroups)
    var options = AuditOptions()
    options.audits[FisherAudit.self].permutations = 5
    options.minGroupSize = 10
    options.audits[FisherAudit.self].top = 2
    let context = AuditContext(
        graph: ModelGraph(format: "npz", layout: .arrays, tensors: []), data: data,
        scores: [], options: options)
    let calls = Counter()
    let source = toySource(rows, groups: 3)
    let result = try FisherAudit().run(context, tensorNames: ["d/kernel", "d/bias"], shapes: [[2, 3], [3]]) {
        calls.value += 1
        return source($0)
    }
    #expect(calls.value == 6)
    #expect(result.name == "fisher")
    let json = result.json
    #expect(json["kind"] == .string("empirical"))
    #expect(json["permutations"] == .int(5))
    guard case .array(let pairs)? = json["pairs"], case .array(let rest)? = json["vs_rest"],
        case .array(let groups)? = json["groups"], case .array(let influential)? = json["influential"]
    else {
        Issue.record("missing top-level keys: \(json.serialized())")
        return
    }
    #expect(pairs.count == 1)  // c has 5 rows < 10: not compared, so no "vs rest" either
    #expect(rest.isEmpty)
    #expect(groups.count == 3)
    #expect(groups[2]["compared"] == .bool(false))
    #expect(pairs[0]["groups"] == .array([.string("a"), .string("b")]))
    guard case .array(let tensors)? = pairs[0]["tensors"], case .array(let layers)? = pairs[0]["layers"] else {
        Issue.record("pair without tensors/layers")
        return
    }
    #expect(tensors.count == 2)
    #expect(layers.count == 1 && layers[0]["name"] == .string("d"))
    for key in ["name", "size", "tv", "js", "top1_jaccard", "null_tv_mean", "p_value", "significant"] {
        #expect(tensors[0][key] != nil, "\(key)")
    }
    // Group a's mass piles on kernel element 4 = multi-index [1, 1]: the most influential parameter.
    #expect(influential.count == 2)
    #expect(influential[0]["tensor"] == .string("d/kernel"))
    #expect(influential[0]["multi_index"] == .array([.int(1), .int(1)]))
    #expect(influential[0]["groups"] == .array([.string("a"), .string("b")]))
    #expect(influential[0]["fisher"]?["a"] != nil && influential[0]["fisher"]?["b"] != nil)
    let names = result.metrics.map(\.name)
    #expect(names == ["fisher_tv_max", "fisher_js_max", "fisher_top1_jaccard_min", "fisher_significant_tensors"])
    #expect(result.text.contains("a vs b") && result.text.contains("d/kernel"))
    #expect(result.markdown.contains("| tensor |"))
}

@Test func unknownFisherKindIsRejected() throws {
    var options = AuditOptions()
    options.audits.add(
        AuditSetting(audit: "fisher", key: "kind", value: .string("exact"), origin: .policy(file: "p.toml", line: 4)))
    let data = LabeledData(
        source: "toy", featureNames: [], features: [], labels: [0], groupColumns: ["g"],
        groupNames: ["a"], rowGroups: [0])
    let context = AuditContext(
        graph: ModelGraph(format: "npz", layout: .arrays, tensors: []), data: data,
        scores: [0], options: options)
    #expect {
        try FisherAudit().run(context, tensorNames: [], shapes: []) { _ in ([1], [[]]) }
    } throws: { error in
        "\(error)".hasPrefix("p.toml:4: [audits.fisher] kind is 'exact', expected one of 'empirical', 'model'")
    }
}

private final class Counter: @unchecked Sendable { var value = 0 }
