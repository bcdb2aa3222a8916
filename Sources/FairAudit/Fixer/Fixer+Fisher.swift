import Foundation

extension Fixer {
    /// Per-group diagonal Fisher of every trainable tensor of `net` (docs/method.md §1),
    /// `F_g[i] = (1/N_g) Σ_{n∈D_g} (∂ℓ_n/∂θ_i)²`, through the network's squared
    /// backward pass (`(X∘X)ᵀ(Δ∘Δ)` per batch). `kind == .model` takes the
    /// expectation over the model's own prediction instead of the observed
    /// label: for one sigmoid logit `δ² = p(1−p)`; for K softmax logits one
    /// pass per class `c` with rows scaled by `√p_c`, `δ = p − e_c`.
    /// Returns `values[g][slot][i]` (slots as `net.trainable`, stored
    /// orientation) and the row count of each group.
    static func groupFisher(_ net: Network, features: [Float], rows: [Int], labels: [Float], groups: [Int],
                            groupCount: Int, kind: FixOptions.FisherKind,
                            batchSize: Int) -> (values: [[[Float]]], counts: [Int]) {
        let head = net.fixerHead
        let objective = FixerObjective(head: head, penalty: nil, lambda: 0)
        let k = net.outputWidth
        var values: [[[Float]]] = []
        var counts: [Int] = []
        for g in 0..<groupCount {
            let members = rows.filter { groups[$0] == g }
            var sums = net.squaredGradientSums(features: features, rows: members, batchSize: batchSize) { z, batch in
                let n = batch.count
                switch (kind, head) {
                case (.empirical, _):
                    var d = [Float](repeating: 0, count: n * k)
                    for (r, i) in batch.enumerated() {
                        let grad = objective.sampleLoss(z, row: r, label: labels[i]).grad
                        for c in 0..<k { d[r * k + c] = grad[c] }
                    }
                    return [(d, nil)]
                case (.model, .sigmoid):
                    return [((0..<n).map { r in let p = Activation.sigmoid(z[r]); return (p * (1 - p)).squareRoot() }, nil)]
                case (.model, .softmax):
                    let probs = (0..<n).map { FixerObjective.softmaxRow(z, row: $0, width: k) }
                    return (0..<k).map { cls in
                        var d = [Float](repeating: 0, count: n * k)
                        for r in 0..<n {
                            let s = probs[r][cls].squareRoot()
                            for c in 0..<k { d[r * k + c] = s * (probs[r][c] - (c == cls ? 1 : 0)) }
                        }
                        return (d, nil)
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
