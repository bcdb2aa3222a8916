import AuditFairness
import FairAudit
import Foundation
import Testing

/// The audit end to end on the Adult scores with `sex & race` intersections:
/// the JSON carries the documented keys with fairlearn's values, the gate
/// metrics carry every gap, and the tables name every group.
@Test func auditRunReportsDocumentedJSONAndMetrics() throws {
    let data = try AdultScores.load()
    let (names, rows) = data.groups(["sex", "race"])
    let labeled = LabeledData(
        source: "adult_test", featureNames: [], features: [], labels: data.labels,
        groupColumns: ["sex", "race"], groupNames: names, rowGroups: rows)
    var options = AuditOptions()
    options.bootstrap = 50
    options.minGroupSize = 100
    let context = AuditContext(
        graph: ModelGraph(format: "npz", layout: .arrays, tensors: []),
        data: labeled, scores: data.scores, options: options)
    let result = try FairnessAudit().run(context)
    #expect(result.name == "fairness")

    let expected = try Expected.load().list("cases")[6]  // sex × race, 0.5, min size 100
    let em = try #require(expected["metrics"] as? [String: Any])
    let names7 = [
        "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
        "equalized_odds_ratio", "equal_opportunity_difference", "equal_opportunity_ratio",
        "accuracy_difference",
    ]
    for key in ["accuracy", "selection_rate"] + names7 {
        let metric = try #require(result.metrics.first { $0.name == key }, "\(key)")
        #expect(close(metric.value, em[key] as? Double), "\(key)")
        guard case .number(let v)? = result.json["metrics"]?[key]?["value"] else {
            Issue.record("metrics.\(key).value missing")
            continue
        }
        #expect(close(v, em[key] as? Double))
    }
    for key in names7 {
        #expect(result.metrics.first { $0.name == key }?.interval != nil, "\(key)")
        guard case .array(let ci)? = result.json["metrics"]?[key]?["ci"] else {
            Issue.record("metrics.\(key).ci missing")
            continue
        }
        #expect(ci.count == 2)
    }
    guard case .array(let groups)? = result.json["groups"] else {
        Issue.record("groups missing")
        return
    }
    #expect(groups.count == 10)
    let femaleOther = try #require(groups.first { $0["name"] == .string("Female & Other") })
    #expect(femaleOther["small"] == .bool(true))
    #expect(femaleOther["count"] == .int(39))
    #expect(femaleOther["columns"]?["race"] == .string("Other"))
    #expect(femaleOther["columns"]?["sex"] == .string("Female"))
    for key in ["selection_rate", "tpr", "fpr", "accuracy"] {
        guard case .array(let ci)? = femaleOther["ci"]?[key] else {
            Issue.record("groups[].ci.\(key) missing")
            continue
        }
        #expect(ci.count == 2)
    }
    for key in ["selection_rate", "tpr", "fpr", "accuracy", "mean_score"] {
        #expect(femaleOther[key] != nil, "\(key)")
    }
    for n in names {
        #expect(result.text.contains(n))
        #expect(result.markdown.contains(n))
    }
    #expect(result.text.contains("demographic_parity_difference"))
    #expect(result.markdown.contains("| group | count |"))
}
