import Foundation

/// The loss, the scores and the gradient of every trainable tensor for one batch.
public struct NetworkGradients: Sendable {
    /// The (weighted) mean negative log-likelihood `Σ w_n ℓ_n / Σ w_n`.
    public var loss: Double
    /// Each row's positive-class probability.
    public var scores: [Float]
    /// The trainable tensors' names (``Network/trainableNames``).
    public var names: [String]
    /// `∂objective/∂θ` per tensor, stored orientation, C order.
    public var gradients: [[Float]]
}

extension Network {
    /// `ℓ_n = −log p(y_n | x_n)` of each row from its logits: binary
    /// cross-entropy on the logit `max(z,0) − z y + log1p(e^{−|z|})` for one
    /// unit, `logsumexp(z) − z_y` for two.
    func rowLosses(logits: [Float], labels: [Float], rows: Int) -> [Double] {
        (0..<rows).map { r in
            if outputWidth == 1 {
                let z = Double(logits[r]), y = Double(labels[r])
                return max(z, 0) - z * y + log1p(exp(-abs(z)))
            }
            let z0 = Double(logits[2 * r]), z1 = Double(logits[2 * r + 1])
            let m = max(z0, z1)
            let lse = m + log(exp(z0 - m) + exp(z1 - m))
            return lse - (labels[r] == 1 ? z1 : z0)
        }
    }

    /// `∂ℓ_n/∂z_n` for class `y` of every row (`labels[n]`, or `fixedClass`
    /// for all): `σ(z) − y` for one unit, `softmax(z) − onehot(y)` for two.
    func logitDeltas(logits: [Float], labels: [Float]?, fixedClass: Float = 1, rows: Int) -> [Float] {
        if outputWidth == 1 {
            return (0..<rows).map { Activation.sigmoid(logits[$0]) - (labels?[$0] ?? fixedClass) }
        }
        var d = [Float](repeating: 0, count: 2 * rows)
        for r in 0..<rows {
            let p1 = Activation.sigmoid(logits[2 * r + 1] - logits[2 * r])
            let y = labels?[r] ?? fixedClass
            d[2 * r] = (1 - p1) - (1 - y)
            d[2 * r + 1] = p1 - y
        }
        return d
    }

    /// Checks labels are 0 or 1, one per row.
    func checkLabels(_ labels: [Float], rows: Int) throws {
        guard labels.count == rows else {
            throw FairAuditError.unsupportedModel(reason: "got \(labels.count) labels for \(rows) rows")
        }
        if let bad = labels.first(where: { $0 != 0 && $0 != 1 }) {
            throw FairAuditError.unsupportedModel(reason: "a label is \(bad); labels must be 0 or 1")
        }
    }

    /// The loss and its gradient for one batch: objective
    /// `Σ_n w̃_n ℓ_n + P(s)`, `w̃_n = w_n / Σ w` (plain mean without
    /// `sampleWeights`), where `scoreGradient[n] = ∂P/∂s_n` of an extra term
    /// on the scores (a fairness penalty) whose value the caller computes.
    public func lossAndGradients(features: [Float], labels: [Float], rows: Int, sampleWeights: [Float]? = nil,
                                 scoreGradient: [Float]? = nil) throws -> NetworkGradients {
        try checkInput(features: features, rows: rows)
        try checkLabels(labels, rows: rows)
        guard sampleWeights == nil || sampleWeights?.count == rows, scoreGradient == nil || scoreGradient?.count == rows else {
            throw FairAuditError.unsupportedModel(reason: "sample weights or score gradients do not match the \(rows) rows")
        }
        let trace = forwardTrace(features, rows: rows)
        let scores = self.scores(logits: trace.logits, rows: rows)
        let losses = rowLosses(logits: trace.logits, labels: labels, rows: rows)
        let w = sampleWeights ?? [Float](repeating: 1, count: rows)
        let total = w.reduce(0, +)
        let norm: Float = total > 0 ? 1 / total : 0
        var loss = 0.0
        for r in 0..<rows { loss += Double(w[r]) * losses[r] }
        loss *= Double(norm)
        var delta = logitDeltas(logits: trace.logits, labels: labels, rows: rows)
        let k = outputWidth
        for r in 0..<rows {
            let extra = scoreGradient?[r] ?? 0
            let s = scores[r]
            for j in 0..<k {
                delta[r * k + j] *= w[r] * norm
                // ∂s/∂z: s(1−s) for one unit; ±p₀p₁ for z₁/z₀ of two.
                if extra != 0 { delta[r * k + j] += extra * s * (1 - s) * (k == 1 || j == 1 ? 1 : -1) }
            }
        }
        var acc = zeroAccumulators()
        var workspace = BackwardWorkspace(ops: ops.count)
        backward(trace, logitDelta: delta, mode: .sum, into: &acc, workspace: &workspace)
        return NetworkGradients(loss: loss, scores: scores, names: trainableNames, gradients: acc)
    }

    /// The mean negative log-likelihood over all rows, in batches.
    public func meanLoss(features: [Float], labels: [Float], rows: Int, batchSize: Int = 512) throws -> Double {
        try checkInput(features: features, rows: rows)
        try checkLabels(labels, rows: rows)
        var total = 0.0
        var start = 0
        var t = ForwardTrace(ops: ops.count)
        while start < rows {
            let end = min(start + max(1, batchSize), rows)
            Buffers.resize(&t.inputs[0], 0)
            t.inputs[0].append(contentsOf: features[(start * inputWidth)..<(end * inputWidth)])
            runForward(&t, rows: end - start)
            total += rowLosses(logits: t.logits, labels: Array(labels[start..<end]), rows: end - start).reduce(0, +)
            start = end
        }
        return rows > 0 ? total / Double(rows) : 0
    }
}
