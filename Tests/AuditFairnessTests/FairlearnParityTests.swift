import AuditFairness
import FairAudit
import Foundation
import Testing

/// Per-group rates and every gap equal fairlearn 0.15 on the pre-trained
/// Adult MLP's Keras predictions (sex, race, sex × race; thresholds 0.5 and
/// 0.3; one case with min-group-size 100), to 1e-9.
@Test(arguments: 0..<7)
func adultMetricsEqualFairlearn(caseIndex: Int) throws {
    let data = try AdultScores.load()
    let c = try Expected.load().list("cases")[caseIndex]
    let columns = try #require(c["columns"] as? [String])
    let threshold = try #require(c["threshold"] as? Double)
    let minSize = try #require(c["min_group_size"] as? Int)
    let (names, rows) = data.groups(columns)
    let r = try FairnessReport(
        scores: data.scores, labels: data.labels, rowGroups: rows, groupNames: names,
        threshold: threshold, minGroupSize: minSize)
    try checkReport(r, against: c)
}

/// Small synthetic cases where fairlearn's edge behaviour shows: a group
/// without positives (TPR 0), without negatives (FPR 0), nobody selected
/// (every ratio 0/0 → NaN), three random groups.
@Test(arguments: 0..<4)
func edgeCasesEqualFairlearn(caseIndex: Int) throws {
    let c = try Expected.load().list("edge_cases")[caseIndex]
    let labels = try #require(c["labels"] as? [Int]).map(Float.init)
    let scores = try #require(c["scores"] as? [Double]).map(Float.init)
    let groupsOfRows = try #require(c["row_groups"] as? [String])
    let names = Array(Set(groupsOfRows)).sorted()
    let rows = try groupsOfRows.map { try #require(names.firstIndex(of: $0)) }
    let r = try FairnessReport(
        scores: scores, labels: labels, rowGroups: rows, groupNames: names,
        threshold: try #require(c["threshold"] as? Double), minGroupSize: 1)
    try checkReport(r, against: c)
}

func checkReport(_ r: FairnessReport, against c: [String: Any]) throws {
    let groups = try #require(c["groups"] as? [String: [String: Any]])
    #expect(r.groups.count == groups.count)
    for g in r.groups {
        let e = try #require(groups[g.group], "group \(g.group) missing from fairlearn's output")
        #expect(g.count == e["count"] as? Int)
        #expect(g.small == e["small"] as? Bool, "\(g.group)")
        #expect(close(g.selectionRate, e["selection_rate"] as? Double), "\(g.group) selection rate")
        #expect(close(g.tpr, e["tpr"] as? Double), "\(g.group) TPR")
        #expect(close(g.fpr, e["fpr"] as? Double), "\(g.group) FPR")
        #expect(close(g.accuracy, e["accuracy"] as? Double), "\(g.group) accuracy")
        #expect(close(g.meanScore, e["mean_score"] as? Double), "\(g.group) mean score")
    }
    let m = try #require(c["metrics"] as? [String: Any])
    for gap in r.gapMetrics {
        #expect(m.keys.contains(gap.name))
        #expect(
            close(gap.value, m[gap.name] as? Double), "\(gap.name): \(gap.value) vs \(String(describing: m[gap.name]))")
    }
    #expect(close(r.overall.accuracy, m["accuracy"] as? Double))
    #expect(close(r.overall.selectionRate, m["selection_rate"] as? Double))
}

/// The fixtures README's numbers for the pre-trained model: accuracy 0.850,
/// selection rate 0.280 (Male) vs 0.099 (Female).
@Test func pretrainedSelectionRatesMatchTheReadme() throws {
    let data = try AdultScores.load()
    let (names, rows) = data.groups(["sex"])
    let r = try FairnessReport(scores: data.scores, labels: data.labels, rowGroups: rows, groupNames: names)
    let male = try #require(r.groups.first { $0.group == "Male" })
    let female = try #require(r.groups.first { $0.group == "Female" })
    #expect(abs(male.selectionRate - 0.280) < 5e-4)
    #expect(abs(female.selectionRate - 0.099) < 5e-4)
    #expect(abs(r.overall.accuracy - 0.850) < 5e-4)
}

@Test func badInputIsRejectedWithASentence() {
    #expect(throws: FairnessError.lengthMismatch(scores: 2, labels: 1, groups: 2)) {
        try FairnessReport(scores: [0.1, 0.2], labels: [1], rowGroups: [0, 0], groupNames: ["a"])
    }
    #expect(throws: FairnessError.groupOutOfRange(row: 1, index: 3, groupCount: 1)) {
        try FairnessReport(scores: [0.1, 0.2], labels: [1, 0], rowGroups: [0, 3], groupNames: ["a"])
    }
    #expect(throws: FairnessError.nonBinaryLabel(row: 0, value: 2)) {
        try FairnessReport(scores: [0.1], labels: [2], rowGroups: [0], groupNames: ["a"])
    }
    #expect(FairnessError.nonBinaryLabel(row: 0, value: 2).description.contains("row 0"))
}

/// Predictions are `score ≥ threshold`: a score exactly at the threshold is
/// positive, the float just below it is not.
@Test func scoreAtTheThresholdIsPositive() throws {
    let below = Float(0.5).nextDown
    let r = try FairnessReport(
        scores: [0.5, below, 0.5, below], labels: [1, 1, 0, 0], rowGroups: [0, 0, 0, 0],
        groupNames: ["all"], threshold: 0.5, minGroupSize: 1)
    let g = try #require(r.groups.first)
    #expect(g.counts == ConfusionCounts(truePositives: 1, falsePositives: 1, trueNegatives: 1, falseNegatives: 1))
    #expect(g.selectionRate == 0.5)
}
