import AuditFairness
import AuditFisher
import FairAudit
import Foundation
import Testing

/// An audit of a made-up model on made-up rows, run through the real
/// fairness and Fisher analyses: `groups` groups with long intersectional
/// names (a few under the minimum size), `tensors` tensors in kernel/bias
/// layers with long names, per-row squared gradients that differ by group
/// in some layers, and a gate with passing and failing checks.
struct SyntheticAudit {
    var fairness: FairnessReport
    var fisher: FisherReport
    var report: AuditReport
    var layerCount: Int

    static let races = ["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"]

    init(groups: Int, tensors: Int, seed: UInt64 = 7) throws {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        let names = (0..<groups).map { g in
            groups == 2
                ? ["Female", "Male"][g]
                : "\(g % 2 == 0 ? "Female" : "Male") & \(Self.races[(g / 2) % Self.races.count])\(g >= 10 ? " & cohort \(g / 10)" : "")"
        }
        // Mostly large groups; every seventh is under the minimum size of 30.
        let counts = (0..<groups).map { g in groups > 2 && g % 7 == 6 ? 12 + g % 5 : 60 + Int(uniform() * 140) }
        var rowGroups: [Int] = []
        var scores: [Float] = []
        var labels: [Float] = []
        for (g, n) in counts.enumerated() {
            let lean = Double(g % 5) * 0.08
            for _ in 0..<n {
                rowGroups.append(g)
                let y: Float = uniform() < 0.3 + lean ? 1 : 0
                labels.append(y)
                scores.append(Float(min(max(0.25 + lean + (y == 1 ? 0.3 : 0) + (uniform() - 0.5) * 0.6, 0), 1)))
            }
        }
        fairness = try FairnessReport(
            scores: scores, labels: labels, rowGroups: rowGroups, groupNames: names,
            minGroupSize: 30, resamples: 40, seed: seed, threads: 1)

        // Tensors: (kernel 3×2, bias 2) per layer; the last tensor alone when the count is odd.
        let tensorNames = (0..<tensors).map { t in
            tensors > 10
                ? "transformer_block_\(t / 8)/multi_head_attention_\(t / 2 % 4)/\(t % 2 == 0 ? "kernel" : "bias")"
                : "dense_\(t / 2)/\(t % 2 == 0 ? "kernel" : "bias")"
        }
        let shapes = (0..<tensors).map { $0 % 2 == 0 ? [3, 2] : [2] }
        let layers = stride(from: 0, to: tensors, by: 2).map { t in
            FisherUnit(
                name: tensors > 10 ? "transformer_block_\(t / 8)/multi_head_attention_\(t / 2 % 4)" : "dense_\(t / 2)",
                tensors: t + 1 < tensors ? [t, t + 1] : [t])
        }
        layerCount = layers.count
        // Per-row squared gradients: noise, plus a group-dependent element in every third layer.
        let rows = rowGroups.count
        let sizes = shapes.map { $0.reduce(1, *) }
        let offsets = sizes.indices.map { sizes[..<$0].reduce(0, +) }
        let width = sizes.reduce(0, +)
        var perRow = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for t in sizes.indices {
                for i in 0..<sizes[t] {
                    let bump: Float = (t / 2) % 3 == 0 && i == rowGroups[r] % sizes[t] ? 3 : 0
                    perRow[r * width + offsets[t] + i] = Float(uniform()) + bump
                }
            }
        }
        func fisherValues(_ assignment: [Int]) -> [[[Float]]] {
            var sums = [Float](repeating: 0, count: groups * width)
            for r in 0..<rows { for j in 0..<width { sums[assignment[r] * width + j] += perRow[r * width + j] } }
            return (0..<groups).map { g in
                sizes.indices.map { t in
                    (0..<sizes[t]).map { sums[g * width + offsets[t] + $0] / Float(max(counts[g], 1)) }
                }
            }
        }
        let observed = try FisherByGroup(
            tensorNames: tensorNames, shapes: shapes, groupNames: names, counts: counts,
            values: fisherValues(rowGroups))
        fisher = try FisherAnalysis.run(
            observed: observed, layers: layers, rowGroups: rowGroups, minGroupSize: 30,
            permutations: 10, seed: seed, top: 10
        ) { fisherValues($0) }

        var policy = Policy()
        policy.limits = [
            Policy.Limit(metric: "accuracy", kind: .min, bound: 0.2, line: 0),
            Policy.Limit(metric: "demographic_parity_difference", kind: .max, bound: 0.01, line: 0),
            Policy.Limit(metric: "equalized_odds_difference", kind: .max, bound: 0.9, line: 0),
        ]
        let results = [
            AuditResult(
                name: "fairness", json: fairness.json(groupColumns: groups == 2 ? ["sex"] : ["sex", "race", "cohort"]),
                text: "", markdown: "", metrics: fairness.auditMetrics),
            AuditResult(name: "fisher", json: fisher.json, text: "", markdown: "", metrics: fisher.auditMetrics),
        ]
        let checks = try policy.evaluate(results.flatMap(\.metrics))
        // What the report tests lean on: every group reported, and a gate that both passes and fails.
        try #require(fairness.groups.count == groups, "the fairness report lost groups")
        try #require(
            checks.contains { $0.passed } && checks.contains { !$0.passed }, "the gate should mix pass and fail")
        let data = LabeledData(
            source: "synthetic.csv", featureNames: ["x"], features: [Float](repeating: 0, count: rows),
            labels: labels, groupColumns: ["sex", "race"], groupNames: names, rowGroups: rowGroups)
        report = AuditReport(
            model: "synthetic_model.h5", graph: ModelGraph(format: "hdf5", layout: .kerasLegacy, tensors: []),
            dataPath: "synthetic.csv", data: data, results: results, checks: checks, seconds: 1.5,
            timing: [("read_model_s", 0.1), ("fisher_s", 1.2)])
    }
}
