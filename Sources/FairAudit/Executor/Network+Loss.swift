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
    /// The network's loss on its logits.
    var loss: Loss { Loss(classes: outputWidth) }

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
    public func lossAndGradients(
        features: [Float], labels: [Float], rows: Int, sampleWeights: [Float]? = nil,
        scoreGradient: [Float]? = nil
    ) throws -> NetworkGradients {
        try checkInput(features: features, rows: rows)
        try checkLabels(labels, rows: rows)
        guard sampleWeights == nil || sampleWeights?.count == rows, scoreGradient == nil || scoreGradient?.count == rows
        else {
            throw FairAuditError.unsupportedModel(
                reason: "sample weights or score gradients do not match the \(rows) rows")
        }
        let trace = forwardTrace(features, rows: rows)
        let z = logits(trace)
        let loss = self.loss
        let w = sampleWeights ?? [Float](repeating: 1, count: rows)
        let total = w.reduce(0, +)
        let norm: Float = total > 0 ? 1 / total : 0
        var value = 0.0
        var delta = [Float](repeating: 0, count: rows * outputWidth)
        for r in 0..<rows {
            let (l, g) = loss.sample(z, row: r, label: labels[r])
            value += Double(w[r]) * l
            for j in 0..<outputWidth { delta[r * outputWidth + j] = g[j] * w[r] * norm }
            if let extra = scoreGradient?[r], extra != 0 {
                loss.addPositiveChain(z, row: r, dp: Double(extra), into: &delta)
            }
        }
        var acc = zeroAccumulators()
        backward(trace, logitGrad: delta, into: &acc)
        return NetworkGradients(
            loss: value * Double(norm), scores: loss.positive(z, rows: rows), names: trainableNames,
            gradients: acc)
    }

    /// The mean negative log-likelihood over all rows, in batches.
    public func meanLoss(features: [Float], labels: [Float], rows: Int, batchSize: Int = 512) throws -> Double {
        try checkInput(features: features, rows: rows)
        try checkLabels(labels, rows: rows)
        let z = logits(features, rows: rows, chunk: max(1, batchSize))
        var total = 0.0
        for r in 0..<rows { total += loss.sample(z, row: r, label: labels[r]).loss }
        return rows > 0 ? total / Double(rows) : 0
    }
}
