import Foundation

extension Fixer {
    /// The groups the target constraints compare: those with at least
    /// `minimum` of `rows` (as the audit leaves small groups out of the gaps).
    static func comparedGroups(_ rows: [Int], data: LabeledData, minimum: Int) -> [Int] {
        var count = [Int](repeating: 0, count: data.groupNames.count)
        for n in rows { count[data.rowGroups[n]] += 1 }
        return count.indices.filter { count[$0] > 0 && count[$0] >= minimum }
    }

    /// One batch's share of the target constraints, added to the logits' gradient.
    static func applyConstraints(
        _ constraints: inout FixerConstraints, objective: FixerObjective, logits: [Float],
        batch: [Int], data: LabeledData, into d: inout [Float]
    ) {
        let margins = objective.margins(logits, rows: batch.count, thresholdLogit: constraints.thresholdLogit)
        var dm = [Double](repeating: 0, count: batch.count)
        _ = constraints.apply(
            margins: margins, labels: batch.map { data.labels[$0] },
            groups: batch.map { data.rowGroups[$0] }, into: &dm)
        // The objective is a mean over the batch; the constraints' rates are
        // already means over their cells, so their gradient adds as it is.
        objective.addMarginChain(logits, rows: batch.count, dMargin: dm, into: &d)
    }

    /// The epoch to write and whether to write it (docs/method.md §5).
    ///
    /// With targets: the most accurate epoch (on validation) meeting every
    /// target; if none does, the best trade-off, the epoch with the smallest
    /// sum of violations relative to each limit (`targetsMissed`). Without:
    /// the epoch of lowest validation objective, refused (`worse`) when its
    /// validation accuracy fell more than `maxAccuracyDrop` below the input's
    /// or when its demographic-parity and equalized-odds gaps both grew.
    static func select(
        _ logs: [EpochLog], before: FairnessSnapshot?, options: FixOptions,
        lowestLoss: Int
    ) -> (epoch: Int, outcome: FixOutcome) {
        let targets = options.targets
        guard !targets.isEmpty else {
            guard options.newHead == nil, let before,
                let after = logs.first(where: { $0.epoch == lowestLoss })?.validation
            else {
                return (lowestLoss, .notWorse)
            }
            return (lowestLoss, guardOutcome(before: before, after: after, maxDrop: options.maxAccuracyDrop))
        }
        var best: (epoch: Int, accuracy: Double)?
        var closest: (epoch: Int, violation: Double, accuracy: Double)?
        for log in logs {
            guard let v = log.validation else { continue }
            let violation = targets.reduce(0.0) { sum, t in
                sum + t.violation(t.value(in: v)) / Swift.max(abs(t.limit), 1e-3)
            }
            if violation == 0, best.map({ v.accuracy > $0.accuracy }) ?? true { best = (log.epoch, v.accuracy) }
            if closest.map({ violation < $0.violation || violation == $0.violation && v.accuracy > $0.accuracy })
                ?? true
            {
                closest = (log.epoch, violation, v.accuracy)
            }
        }
        if let best { return (best.epoch, .targetsMet) }
        let epoch = closest?.epoch ?? logs.count
        let v = logs.first { $0.epoch == epoch }?.validation
        return (epoch, .targetsMissed(describeTargets(targets, in: v)))
    }

    /// `max_equalized_odds_difference 0.031 > 0.02, min_accuracy 0.851 ≥ 0.84`.
    public static func describeTargets(_ targets: [FixTarget], in snapshot: FairnessSnapshot?) -> String {
        targets.map { t in
            let v = snapshot.map { t.value(in: $0) } ?? .nan
            let op = t.isMet(by: v) ? (t.kind == .max ? "≤" : "≥") : (t.kind == .max ? ">" : "<")
            return "\(t.key) \(Format.g(v, 4)) \(op) \(Format.g(t.limit, 4))"
        }.joined(separator: ", ")
    }

    /// The never-worse guard for a fix without targets.
    static func guardOutcome(before: FairnessSnapshot, after: FairnessSnapshot, maxDrop: Double) -> FixOutcome {
        let drop = before.accuracy - after.accuracy
        if drop > maxDrop + 1e-12 {
            return .worse(
                "validation accuracy fell from \(Format.g(before.accuracy, 4)) to \(Format.g(after.accuracy, 4)) (by \(Format.g(drop, 3)), more than --max-accuracy-drop \(Format.g(maxDrop, 3)))"
            )
        }
        let b = before.gaps
        let a = after.gaps
        if a.demographicParityDifference > b.demographicParityDifference
            && a.equalizedOddsDifference > b.equalizedOddsDifference
        {
            return .worse(
                "every validation gap grew: demographic parity difference \(Format.g(b.demographicParityDifference, 4)) → \(Format.g(a.demographicParityDifference, 4)), equalized odds difference \(Format.g(b.equalizedOddsDifference, 4)) → \(Format.g(a.equalizedOddsDifference, 4))"
            )
        }
        return .notWorse
    }
}

extension Fixer {
    /// A note when the validation split is too small to judge a difference
    /// target: its largest standard error over the compared pairs of group
    /// cells, bounded by `r(1 − r) ≤ 1/4`, `SE ≤ ½·√(1/n_a + 1/n_b)`, is more
    /// than half the limit (an epoch then meets or misses the limit there
    /// partly by which rows the split drew). Nil when every limit is wide enough.
    static func validationNoiseNote(
        _ snapshot: FairnessSnapshot?, targets: [FixTarget], groupNames: [String]
    ) -> String? {
        guard let snapshot else { return nil }
        let compared = snapshot.groups.indices.filter { snapshot.included[$0] }
        for target in targets where target.metric.isGap && target.kind == .max {
            var worst: (se: Double, group: Int, stratum: Int?, rows: Int)?
            for stratum in target.metric.strata {
                func rows(_ g: Int) -> Int {
                    let c = snapshot.groups[g]
                    return stratum.map { $0 == 1 ? c.positives : c.negatives } ?? c.count
                }
                for a in compared {
                    for b in compared where b > a && rows(a) > 0 && rows(b) > 0 {
                        let se = 0.5 * (1 / Double(rows(a)) + 1 / Double(rows(b))).squareRoot()
                        let small = rows(a) <= rows(b) ? a : b
                        if worst.map({ se > $0.se }) ?? true { worst = (se, small, stratum, rows(small)) }
                    }
                }
            }
            guard let w = worst, 2 * w.se > target.limit else { continue }
            let cell =
                (w.group < groupNames.count ? groupNames[w.group] : "group \(w.group)")
                + (w.stratum.map { ", y = \($0)" } ?? "")
            return
                "the validation split measures \(target.metric.rawValue) with a standard error of up to \(Format.g(w.se, 2)) (smallest cell: \(cell), \(w.rows) rows), more than half the limit \(Format.g(target.limit, 4)): whether an epoch meets it there is partly chance (a larger --validation share narrows it)"
        }
        return nil
    }
}
