import Foundation

/// The training objective on one batch (docs/method.md §5): the weighted mean
/// negative log-likelihood plus an optional fairness penalty `λ · Σ gaps²`,
/// with its exact gradient with respect to the logits.
struct FixerObjective {
    /// How the logits become the probability of the observed label.
    enum Head: Equatable {
        /// One logit, `p = σ(z)`, binary cross-entropy.
        case sigmoid
        /// K logits, softmax, cross-entropy; the label is the class index.
        case softmax(Int)
    }

    var head: Head
    var penalty: FixOptions.Penalty?
    var lambda: Double

    /// Value parts and `∂(nll + penalty)/∂z`.
    struct Evaluation {
        var nll: Double
        var penalty: Double
        var dLogits: [Float]
        var total: Double { nll + penalty }
    }

    /// `ℓ_n = −log p(y_n | z_n)`: `max(z,0) − y z + log(1 + e^{−|z|})` for a
    /// sigmoid head, `logsumexp(z) − z_y` for softmax; and `∂ℓ_n/∂z_n`
    /// (`σ(z) − y`, or `softmax(z) − e_y`).
    func sampleLoss(_ z: [Float], row: Int, label: Float) -> (loss: Double, grad: [Float]) {
        switch head {
        case .sigmoid:
            let v = Double(z[row]), y = Double(label >= 0.5 ? 1 : 0)
            let loss = max(v, 0) - y * v + Foundation.log1p(Foundation.exp(-abs(v)))
            return (loss, [Activation.sigmoid(z[row]) - Float(y)])
        case .softmax(let k):
            let p = Self.softmaxRow(z, row: row, width: k)
            let cls = Self.classIndex(label, classes: k)
            var g = p
            g[cls] -= 1
            return (-Foundation.log(max(Double(p[cls]), 1e-38)), g)
        }
    }

    /// The class a binary label names: 1 → 1, 0 → 0 (clamped to `0..<classes`).
    static func classIndex(_ label: Float, classes: Int) -> Int { min(max(Int(label.rounded()), 0), classes - 1) }

    /// The objective on a batch (or a whole split); `weights` nil means every
    /// row weighs 1. The penalty's gradient uses this batch's own gaps.
    func evaluate(logits z: [Float], rows: Int, labels: [Float], groups: [Int], weights: [Float]?) -> Evaluation {
        var single: GapEstimate? = nil
        return evaluate(logits: z, rows: rows, labels: labels, groups: groups, weights: weights, estimate: &single)
    }

    /// The objective on a training mini-batch: as `evaluate`, but the
    /// penalty's gradient takes its gap factor from `running`, which is first
    /// updated with this batch (see `GapEstimate`).
    func evaluate(logits z: [Float], rows: Int, labels: [Float], groups: [Int], weights: [Float]?,
                  running: inout GapEstimate) -> Evaluation {
        var estimate: GapEstimate? = running
        defer { if let estimate { running = estimate } }
        return evaluate(logits: z, rows: rows, labels: labels, groups: groups, weights: weights, estimate: &estimate)
    }

    private func evaluate(logits z: [Float], rows: Int, labels: [Float], groups: [Int], weights: [Float]?,
                          estimate: inout GapEstimate?) -> Evaluation {
        let k = head == .sigmoid ? 1 : { if case .softmax(let k) = head { return k } else { return 1 } }()
        var d = [Float](repeating: 0, count: rows * k)
        var totalWeight = 0.0
        for r in 0..<rows { totalWeight += Double(weights?[r] ?? 1) }
        guard rows > 0, totalWeight > 0 else { return Evaluation(nll: 0, penalty: 0, dLogits: d) }
        var nll = 0.0
        for r in 0..<rows {
            let w = Double(weights?[r] ?? 1) / totalWeight
            let (loss, g) = sampleLoss(z, row: r, label: labels[r])
            nll += w * loss
            for c in 0..<k { d[r * k + c] = Float(w) * g[c] }
        }
        var pen = 0.0
        if let penalty, lambda > 0 {
            let p = positive(z, rows: rows)
            var dp = [Double](repeating: 0, count: rows)
            let strata: [Int?] = penalty == .dp ? [nil] : [1, 0]
            for stratum in strata {
                let member = (0..<rows).filter { n in stratum.map { (labels[n] >= 0.5 ? 1 : 0) == $0 } ?? true }
                pen += Self.gapPenalty(p: p, rows: member, groups: groups, lambda: lambda, into: &dp,
                                       stratum: stratum ?? -1, estimate: &estimate)
            }
            addPositiveChain(z, rows: rows, dp: dp, into: &d)
        }
        return Evaluation(nll: nll, penalty: pen, dLogits: d)
    }

    /// `λ Σ_g (mean_{n∈g} p_n − mean_{n∉g} p_n)²` over the groups present among
    /// `rows` (a group with no rest, or absent, adds nothing); adds `∂/∂p_n` into
    /// `dp`: `2λ·gap_g·∂gap_g/∂p_n`, with `gap_g` taken from `estimate` (keyed
    /// by `stratum`, −1 for none) after updating it, when one is given.
    static func gapPenalty(p: [Float], rows: [Int], groups: [Int], lambda: Double, into dp: inout [Double],
                           stratum: Int = -1, estimate: inout GapEstimate?) -> Double {
        var count: [Int: Int] = [:], sum: [Int: Double] = [:]
        var all = 0.0
        for n in rows { count[groups[n], default: 0] += 1; sum[groups[n], default: 0] += Double(p[n]); all += Double(p[n]) }
        var value = 0.0
        for g in count.keys.sorted() {
            let ng = count[g] ?? 0, nr = rows.count - ng
            guard ng > 0, nr > 0 else { continue }
            let sg = sum[g] ?? 0
            let gap = sg / Double(ng) - (all - sg) / Double(nr)
            value += lambda * gap * gap
            let factor = estimate?.update(stratum: stratum, group: g, groupMean: sg / Double(ng),
                                          restMean: (all - sg) / Double(nr)) ?? gap
            let inG = 2 * lambda * factor / Double(ng), outG = -2 * lambda * factor / Double(nr)
            for n in rows { dp[n] += groups[n] == g ? inG : outG }
        }
        return value
    }

    /// Positive-class probabilities of each row.
    func positive(_ z: [Float], rows: Int) -> [Float] {
        switch head {
        case .sigmoid: return (0..<rows).map { Activation.sigmoid(z[$0]) }
        case .softmax(let k): return (0..<rows).map { Self.softmaxRow(z, row: $0, width: k)[1] }
        }
    }

    /// Adds `∂p/∂z · dp` into `d`: `p(1−p)` for sigmoid, `p₁(e₁ − p)` for softmax.
    func addPositiveChain(_ z: [Float], rows: Int, dp: [Double], into d: inout [Float]) {
        switch head {
        case .sigmoid:
            for r in 0..<rows { let p = Double(Activation.sigmoid(z[r])); d[r] += Float(dp[r] * p * (1 - p)) }
        case .softmax(let k):
            for r in 0..<rows {
                let p = Self.softmaxRow(z, row: r, width: k)
                for c in 0..<k { d[r * k + c] += Float(dp[r] * Double(p[1]) * ((c == 1 ? 1 : 0) - Double(p[c]))) }
            }
        }
    }

    /// Softmax of row `row` of a `? × width` logit matrix.
    static func softmaxRow(_ z: [Float], row: Int, width: Int) -> [Float] {
        var out = Array(z[(row * width)..<((row + 1) * width)])
        out.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { Activation.softmaxRows(base, count: width, width: width) }
        }
        return out
    }
}
