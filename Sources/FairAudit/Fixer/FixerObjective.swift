import Foundation

/// The training objective on one batch (docs/method.md §5): the weighted mean
/// negative log-likelihood plus an optional fairness penalty `λ · Σ gaps²`,
/// with its exact gradient with respect to the logits.
struct FixerObjective {
    /// The network's loss on its logits (one logit: sigmoid and binary
    /// cross-entropy; K: softmax and cross-entropy, the label the class index).
    var loss: Loss
    var penalty: FixOptions.Penalty?
    var lambda: Double

    /// Value parts and `∂(nll + penalty)/∂z`.
    struct Evaluation {
        var nll: Double
        var penalty: Double
        var dLogits: [Float]
        var total: Double { nll + penalty }
    }

    /// The objective on a batch (or a whole split); `weights` nil means every
    /// row weighs 1. The penalty's gradient uses this batch's own gaps.
    func evaluate(logits z: [Float], rows: Int, labels: [Float], groups: [Int], weights: [Float]?) -> Evaluation {
        var single: GapEstimate? = nil
        return evaluate(logits: z, rows: rows, labels: labels, groups: groups, weights: weights, estimate: &single)
    }

    /// The objective on a training mini-batch: as `evaluate`, but the
    /// penalty's gradient takes its gap factor from `running`, which is first
    /// updated with this batch (see `GapEstimate`).
    func evaluate(
        logits z: [Float], rows: Int, labels: [Float], groups: [Int], weights: [Float]?,
        running: inout GapEstimate
    ) -> Evaluation {
        var estimate: GapEstimate? = running
        defer { if let estimate { running = estimate } }
        return evaluate(logits: z, rows: rows, labels: labels, groups: groups, weights: weights, estimate: &estimate)
    }

    private func evaluate(
        logits z: [Float], rows: Int, labels: [Float], groups: [Int], weights: [Float]?,
        estimate: inout GapEstimate?
    ) -> Evaluation {
        let k = loss.classes
        var d = [Float](repeating: 0, count: rows * k)
        var totalWeight = 0.0
        for r in 0..<rows { totalWeight += Double(weights?[r] ?? 1) }
        guard rows > 0, totalWeight > 0 else { return Evaluation(nll: 0, penalty: 0, dLogits: d) }
        var nll = 0.0
        for r in 0..<rows {
            let w = Double(weights?[r] ?? 1) / totalWeight
            let (l, g) = loss.sample(z, row: r, label: labels[r])
            nll += w * l
            for c in 0..<k { d[r * k + c] = Float(w) * g[c] }
        }
        var pen = 0.0
        if let penalty, lambda > 0 {
            let p = loss.positive(z, rows: rows)
            var dp = [Double](repeating: 0, count: rows)
            let strata: [Int?] = penalty == .dp ? [nil] : [1, 0]
            for stratum in strata {
                let member = (0..<rows).filter { n in stratum.map { (labels[n] >= 0.5 ? 1 : 0) == $0 } ?? true }
                pen += Self.gapPenalty(
                    p: p, rows: member, groups: groups, lambda: lambda, into: &dp,
                    stratum: stratum ?? -1, estimate: &estimate)
            }
            for r in 0..<rows { loss.addPositiveChain(z, row: r, dp: dp[r], into: &d) }
        }
        return Evaluation(nll: nll, penalty: pen, dLogits: d)
    }

    /// `λ Σ_g (mean_{n∈g} p_n − mean_{n∉g} p_n)²` over the groups present among
    /// `rows` (a group with no rest, or absent, adds nothing); adds `∂/∂p_n` into
    /// `dp`: `2λ·gap_g·∂gap_g/∂p_n`, with `gap_g` taken from `estimate` (keyed
    /// by `stratum`, −1 for none) after updating it, when one is given.
    static func gapPenalty(
        p: [Float], rows: [Int], groups: [Int], lambda: Double, into dp: inout [Double],
        stratum: Int = -1, estimate: inout GapEstimate?
    ) -> Double {
        var count: [Int: Int] = [:]
        var sum: [Int: Double] = [:]
        var all = 0.0
        for n in rows {
            count[groups[n], default: 0] += 1
            sum[groups[n], default: 0] += Double(p[n])
            all += Double(p[n])
        }
        var value = 0.0
        for g in count.keys.sorted() {
            let ng = count[g] ?? 0
            let nr = rows.count - ng
            guard ng > 0, nr > 0 else { continue }
            let sg = sum[g] ?? 0
            let gap = sg / Double(ng) - (all - sg) / Double(nr)
            value += lambda * gap * gap
            let factor =
                estimate?.update(
                    stratum: stratum, group: g, groupMean: sg / Double(ng),
                    restMean: (all - sg) / Double(nr)) ?? gap
            let inG = 2 * lambda * factor / Double(ng)
            let outG = -2 * lambda * factor / Double(nr)
            for n in rows { dp[n] += groups[n] == g ? inG : outG }
        }
        return value
    }
}
