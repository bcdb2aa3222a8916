import Foundation

extension FixerNetwork {
    /// Per-group diagonal Fisher of every parameter (METHOD §1):
    /// `F_g[i] = (1/N_g) Σ_{n∈D_g} (∂ℓ_n/∂θ_i)²`, from squared per-sample
    /// deltas (`(X∘X)ᵀ(Δ∘Δ)` per batch). `kind == .model` takes the
    /// expectation over the model's own prediction instead of the observed
    /// label: for one sigmoid logit `δ² = p(1−p)`; for K softmax logits one
    /// pass per class `c` with rows scaled by `√p_c`, `δ = p − e_c`.
    /// Returns `values[g][param][i]` and the row count of each group.
    func groupFisher(features: [Float], rows: [Int], labels: [Float], groups: [Int], groupCount: Int,
                     kind: FixOptions.FisherKind, batchSize: Int) -> (values: [[[Float]]], counts: [Int]) {
        let objective = FixerObjective(head: head, penalty: nil, lambda: 0)
        let k = outputWidth
        var values: [[[Float]]] = []
        var counts: [Int] = []
        for g in 0..<groupCount {
            let members = rows.filter { groups[$0] == g }
            var sums = zeroGradients()
            var start = 0
            while start < members.count {
                let batch = Array(members[start..<min(start + batchSize, members.count)])
                start += batch.count
                let x = Fixer.gather(features, rows: batch, width: inputWidth)
                let (z, tape) = forward(x, rows: batch.count)
                switch (kind, head) {
                case (.empirical, _):
                    var d = [Float](repeating: 0, count: batch.count * k)
                    for (r, n) in batch.enumerated() {
                        let g = objective.sampleLoss(z, row: r, label: labels[n]).grad
                        for c in 0..<k { d[r * k + c] = g[c] }
                    }
                    backward(tape, dLogits: d, into: &sums, squared: true)
                case (.model, .sigmoid):
                    let d = (0..<batch.count).map { r -> Float in
                        let p = Activation.sigmoid(z[r]); return (p * (1 - p)).squareRoot()
                    }
                    backward(tape, dLogits: d, into: &sums, squared: true)
                case (.model, .softmax):
                    let probs = (0..<batch.count).map { Self.softmaxRow(z, row: $0, width: k) }
                    for cls in 0..<k {
                        var d = [Float](repeating: 0, count: batch.count * k)
                        for r in 0..<batch.count {
                            let s = probs[r][cls].squareRoot()
                            for c in 0..<k { d[r * k + c] = s * (probs[r][c] - (c == cls ? 1 : 0)) }
                        }
                        backward(tape, dLogits: d, into: &sums, squared: true)
                    }
                }
            }
            if !members.isEmpty {
                let inv = 1 / Float(members.count)
                for i in 0..<sums.count { for j in 0..<sums[i].count { sums[i][j] *= inv } }
            }
            values.append(sums)
            counts.append(members.count)
        }
        return (values, counts)
    }
}
