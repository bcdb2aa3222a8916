import Foundation
import Testing

@testable import FairAudit

/// Fairness targets: parsing, the validation metrics they are judged on, the
/// constraint gradient, and which epoch is written.
@Suite("Fix targets")
struct FixTargetTests {
    @Test(
        "a target parses as the gate writes it",
        arguments: [
            (
                "max_equalized_odds_difference=0.02", Policy.Limit.Kind.max, FixTarget.Metric.equalizedOddsDifference,
                0.02
            ),
            ("min_accuracy = 0.84", .min, .accuracy, 0.84),
            ("min_demographic_parity_ratio=0.8", .min, .demographicParityRatio, 0.8),
            ("max_equal_opportunity_difference=0", .max, .equalOpportunityDifference, 0),
        ])
    func parses(text: String, kind: Policy.Limit.Kind, metric: FixTarget.Metric, limit: Double) throws {
        let t = try FixTarget.parse(text)
        #expect(t.kind == kind && t.metric == metric && t.limit == limit)
    }

    @Test(
        "a target that cannot be aimed at is refused naming why",
        arguments: [
            ("equalized_odds_difference=0.02", "max_ or min_"),
            ("max_fisher_tv_max=0.3", "cannot aim at"),
            ("min_equalized_odds_difference=0.02", "fair side"),
            ("max_demographic_parity_ratio=0.8", "fair side"),
            ("max_equalized_odds_difference=1.5", "outside [0, 1]"),
            ("max_equalized_odds_difference", "KEY=VALUE"),
            ("max_equalized_odds_difference=abc", "KEY=VALUE"),
        ])
    func refuses(text: String, reason: String) {
        #expect { try FixTarget.parse(text) } throws: { "\($0)".contains(reason) }
    }

    /// Rows: group, label, score.
    static let rows: [(Int, Float, Float)] = [
        (0, 1, 0.9), (0, 1, 0.4), (0, 0, 0.6), (0, 0, 0.1), (0, 0, 0.2),
        (1, 1, 0.8), (1, 1, 0.7), (1, 1, 0.3), (1, 0, 0.2), (1, 0, 0.55), (1, 0, 0.05),
        (2, 1, 0.99),
    ]

    @Test("the validation snapshot counts rates by hand, leaving small groups out of the gaps")
    func snapshotByHand() {
        let s = FairnessSnapshot(
            scores: Self.rows.map(\.2), labels: Self.rows.map(\.1), rowGroups: Self.rows.map(\.0),
            groupCount: 3, threshold: 0.5, minGroupSize: 2)
        // Group 0: TPR 1/2, FPR 1/3, SR 2/5. Group 1: TPR 2/3, FPR 1/3, SR 3/6. Group 2 (1 row) left out.
        #expect(s.included == [true, true, false])
        #expect(abs(s.gaps.equalizedOddsDifference - (2.0 / 3 - 1.0 / 2)) < 1e-12)
        #expect(abs(s.gaps.demographicParityDifference - (3.0 / 6 - 2.0 / 5)) < 1e-12)
        // Accuracy over every row: correct are 0.9, 0.1, 0.2, 0.8, 0.7, 0.2, 0.05, 0.99 → 8 of 12.
        #expect(abs(s.accuracy - 8.0 / 12) < 1e-12)
        #expect(s.value(of: "equalized_odds_difference") == s.gaps.equalizedOddsDifference)
        #expect(s.value(of: "no_such_metric") == nil)
    }

    @Test(
        "the constraint gradient equals finite differences of the surrogate",
        arguments: [FixTarget.Metric.equalizedOddsDifference, .demographicParityRatio])
    func constraintGradient(metric: FixTarget.Metric) throws {
        let target = FixTarget(kind: metric.isRatio ? .min : .max, metric: metric, limit: metric.isRatio ? 0.9 : 0.01)
        var c = FixerConstraints(targets: [target], groups: [0, 1], threshold: 0.5, margin: 0.5)
        c.temperature = 0.7
        var rng = SplitMix64(seed: 3)
        let n = 40
        let margins = (0..<n).map { _ in Double.random(in: -2...2, using: &rng) }
        let labels = (0..<n).map { i in Float(i % 3 == 0 ? 1 : 0) }
        let groups = (0..<n).map { i in i < 14 ? 0 : 1 }
        // Warm the multipliers so some constraints carry weight.
        for _ in 0..<3 {
            var d = [Double](repeating: 0, count: n)
            _ = c.apply(margins: margins, labels: labels, groups: groups, into: &d)
            c.endEpoch()
        }
        var grad = [Double](repeating: 0, count: n)
        var probe = c
        let value = probe.apply(margins: margins, labels: labels, groups: groups, into: &grad)
        #expect(value != 0 && grad.contains { $0 != 0 }, "no constraint is active, so the test would show nothing")
        let h = 1e-5
        for i in 0..<n where abs(margins[i]) > 1e-3 {  // away from the threshold the weights stay put
            var up = margins
            var down = margins
            up[i] += h
            down[i] -= h
            var a = c
            var b = c
            var scratch = [Double](repeating: 0, count: n)
            let fd =
                (a.apply(margins: up, labels: labels, groups: groups, into: &scratch)
                    - b.apply(margins: down, labels: labels, groups: groups, into: &scratch)) / (2 * h)
            #expect(abs(fd - grad[i]) <= 1e-6 + 1e-4 * abs(fd), "row \(i): \(grad[i]) vs \(fd)")
        }
    }

    @Test("the softmax margin's gradient equals finite differences", arguments: [2, 3])
    func softmaxMarginChain(classes k: Int) {
        let objective = FixerObjective(loss: Loss(classes: k), penalty: nil, lambda: 0)
        let z: [Float] = (0..<(3 * k)).map { Float(($0 * 37) % 11) / 4 - 1.2 }
        let dm: [Double] = [0.7, -1.3, 0.4]
        var d = [Float](repeating: 0, count: z.count)
        objective.addMarginChain(z, rows: 3, dMargin: dm, into: &d)
        let t = log(0.3 / 0.7)
        for j in z.indices {
            var up = z
            var down = z
            up[j] += 1e-2
            down[j] -= 1e-2
            let mu = objective.margins(up, rows: 3, thresholdLogit: t)
            let md = objective.margins(down, rows: 3, thresholdLogit: t)
            let fd = (0..<3).reduce(0.0) { $0 + dm[$1] * (mu[$1] - md[$1]) / 2e-2 }
            #expect(abs(Double(d[j]) - fd) < 2e-3, "logit \(j): \(d[j]) vs \(fd)")
        }
        // p₁ ≥ t exactly when the margin is ≥ 0.
        let m = objective.margins(z, rows: 3, thresholdLogit: t)
        let p = objective.loss.positive(z, rows: 3)
        for r in 0..<3 { #expect((m[r] >= 0) == (Double(p[r]) >= 0.3)) }
    }

    /// Two groups of 50 positives and 50 negatives: `tp0`, `tp1` true
    /// positives, `fp` false positives in each. TPR gap |tp0 − tp1|/50, equal
    /// FPR; accuracy (tp0 + tp1 + 2(50 − fp))/200.
    static func snapshot(tp0: Int, tp1: Int, fp: Int) -> FairnessSnapshot {
        var scores: [Float] = []
        var labels: [Float] = []
        var groups: [Int] = []
        for (g, tp) in [tp0, tp1].enumerated() {
            for i in 0..<50 {
                scores.append(i < tp ? 0.9 : 0.1)
                labels.append(1)
                groups.append(g)
            }
            for i in 0..<50 {
                scores.append(i < fp ? 0.9 : 0.1)
                labels.append(0)
                groups.append(g)
            }
        }
        return FairnessSnapshot(
            scores: scores, labels: labels, rowGroups: groups, groupCount: 2, threshold: 0.5, minGroupSize: 30)
    }

    @Test("with targets the most accurate epoch meeting them is written; without, the best trade-off and no write")
    func selection() throws {
        var o = FixOptions()
        o.targets = [
            try FixTarget.parse("max_equalized_odds_difference=0.05"), try FixTarget.parse("min_accuracy=0.5"),
        ]
        // EO 0.10 / acc 0.725, EO 0.04 / 0.66, EO 0.02 / 0.675, EO 0.30 / 0.805.
        let snaps = [
            Self.snapshot(tp0: 25, tp1: 30, fp: 5), Self.snapshot(tp0: 25, tp1: 27, fp: 10),
            Self.snapshot(tp0: 25, tp1: 26, fp: 8), Self.snapshot(tp0: 25, tp1: 40, fp: 2),
        ]
        #expect(abs(snaps[2].gaps.equalizedOddsDifference - 0.02) < 1e-12 && abs(snaps[2].accuracy - 0.675) < 1e-12)
        let logs = snaps.enumerated().map {
            EpochLog(epoch: $0.offset + 1, trainLoss: 0, validationLoss: 0, seconds: 0, validation: $0.element)
        }
        let met = Fixer.select(logs, before: nil, options: o, lowestLoss: 1)
        #expect(met.epoch == 3 && met.outcome == .targetsMet, "epochs 2 and 3 meet the targets; 3 is more accurate")
        o.targets = [try FixTarget.parse("max_equalized_odds_difference=0.001")]
        let missed = Fixer.select(logs, before: nil, options: o, lowestLoss: 1)
        #expect(missed.epoch == 3, "the smallest violation is epoch 3's")
        guard case .targetsMissed(let text) = missed.outcome else {
            Issue.record("expected targetsMissed")
            return
        }
        #expect(text.contains("max_equalized_odds_difference") && text.contains("> 0.001"))
    }

    @Test("without targets, a drop in accuracy or every gap growing is refused")
    func neverWorse() {
        let before = Self.snapshot(tp0: 25, tp1: 30, fp: 5)  // acc 0.725, EO 0.10, DP 0.025
        let lessAccurate = Self.snapshot(tp0: 25, tp1: 30, fp: 15)  // acc 0.625, same gaps
        guard case .worse(let why) = Fixer.guardOutcome(before: before, after: lessAccurate, maxDrop: 0.01) else {
            Issue.record("an accuracy drop was not refused")
            return
        }
        #expect(why.contains("validation accuracy fell from 0.725 to 0.625"))
        #expect(Fixer.guardOutcome(before: before, after: lessAccurate, maxDrop: 0.2) == .notWorse)
        let wider = Self.snapshot(tp0: 20, tp1: 35, fp: 5)  // acc 0.725, EO 0.30, DP 0.075
        guard case .worse(let w) = Fixer.guardOutcome(before: before, after: wider, maxDrop: 0.01) else {
            Issue.record("every gap grew and it was not refused")
            return
        }
        #expect(w.contains("every validation gap grew"))
        #expect(Fixer.guardOutcome(before: before, after: before, maxDrop: 0.01) == .notWorse)
    }
}
