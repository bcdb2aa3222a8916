import Foundation

/// The one loss of the executor: the negative log-likelihood of the label
/// under the logits' class probabilities. One logit is a binary model,
/// `p = σ(z)`; K ≥ 2 logits a softmax over classes, the label the class index.
struct Loss: Sendable, Equatable {
    /// Logits per row.
    var classes: Int

    /// `ℓ = −log p(y | z)`: `max(z,0) − y z + log1p(e^{−|z|})` for one logit,
    /// `logsumexp(z) − z_y` for K; and `∂ℓ/∂z` (`σ(z) − y`, or `softmax(z) − e_y`).
    func sample(_ z: [Float], row: Int, label: Float) -> (loss: Double, grad: [Float]) {
        if classes == 1 {
            let v = Double(z[row])
            let y = Double(label >= 0.5 ? 1 : 0)
            return (max(v, 0) - y * v + log1p(exp(-abs(v))), [Activation.sigmoid(z[row]) - Float(y)])
        }
        let cls = classIndex(label)
        let p = probabilities(z, row: row)
        var m = -Double.infinity
        for c in 0..<classes { m = max(m, Double(z[row * classes + c])) }
        var s = 0.0
        for c in 0..<classes { s += exp(Double(z[row * classes + c]) - m) }
        var g = p
        g[cls] -= 1
        return (m + log(s) - Double(z[row * classes + cls]), g)
    }

    /// The class a label names: 1 → 1, 0 → 0 (clamped to the classes; a binary model's two).
    func classIndex(_ label: Float) -> Int { min(max(Int(label.rounded()), 0), max(classes, 2) - 1) }

    /// The class probabilities of one row (`[p]` for one logit).
    func probabilities(_ z: [Float], row: Int) -> [Float] {
        if classes == 1 { return [Activation.sigmoid(z[row])] }
        var out = Array(z[(row * classes)..<((row + 1) * classes)])
        out.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { Activation.softmaxRows(base, count: classes, width: classes) }
        }
        return out
    }

    /// The positive-class probability of each row: `σ(z)` for one logit,
    /// `σ(z₁ − z₀)` for two, `softmax(z)₁` for more.
    func positive(_ z: [Float], rows: Int) -> [Float] {
        switch classes {
        case 1: return (0..<rows).map { Activation.sigmoid(z[$0]) }
        case 2: return (0..<rows).map { Activation.sigmoid(z[$0 * 2 + 1] - z[$0 * 2]) }
        default: return (0..<rows).map { probabilities(z, row: $0)[1] }
        }
    }

    /// `∂p₁/∂z` of one row times `dp`, added into `d`: `p(1−p)` for one
    /// logit, `p₁(e₁ − p)` for K.
    func addPositiveChain(_ z: [Float], row: Int, dp: Double, into d: inout [Float]) {
        if classes == 1 {
            let p = Double(Activation.sigmoid(z[row]))
            d[row] += Float(dp * p * (1 - p))
            return
        }
        let p = probabilities(z, row: row)
        for c in 0..<classes { d[row * classes + c] += Float(dp * Double(p[1]) * ((c == 1 ? 1 : 0) - Double(p[c]))) }
    }

    /// `∂ℓ_n/∂z_n` of `count` rows of logits `z`, row `r`'s label
    /// `label(r)`, written into `d` (`count × classes`, storage reused):
    /// `σ(z) − y`, or `softmax(z) − e_y`.
    func writeDeltas(_ z: UnsafeBufferPointer<Float>, count: Int, label: (Int) -> Float, into d: inout [Float]) {
        Buffers.resize(&d, count * classes)
        guard z.count >= count * classes else { return }
        d.withUnsafeMutableBufferPointer { pd in
            guard let out = pd.baseAddress, let zs = z.baseAddress else { return }
            if classes == 1 {
                for r in 0..<count { out[r] = Activation.sigmoid(zs[r]) - (label(r) >= 0.5 ? 1 : 0) }
                return
            }
            for r in 0..<count {
                let row = out + r * classes
                row.update(from: zs + r * classes, count: classes)
                Activation.softmaxRows(row, count: classes, width: classes)
                row[classIndex(label(r))] -= 1
            }
        }
    }

    /// `∂ℓ_n/∂z_n` of every row for its label, `rows × classes`.
    func deltas(_ z: [Float], labels: [Float], rows: Int) -> [Float] {
        var d = [Float](repeating: 0, count: rows * classes)
        for r in 0..<rows {
            let g = sample(z, row: r, label: labels[r]).grad
            for c in 0..<classes { d[r * classes + c] = g[c] }
        }
        return d
    }
}
