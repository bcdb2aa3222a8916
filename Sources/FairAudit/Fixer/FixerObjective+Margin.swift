import Foundation

extension FixerObjective {
    /// Each row's margin over the decision threshold in logit units,
    /// `m = logit(p₁) − logit(t)`, so `p₁ ≥ t ⟺ m ≥ 0`. For one sigmoid logit
    /// `m = z − logit(t)`; for K softmax logits
    /// `m = z₁ − logsumexp_{j≠1} z_j − logit(t)`.
    func margins(_ z: [Float], rows: Int, thresholdLogit: Double) -> [Double] {
        let k = loss.classes
        guard k > 1 else { return (0..<rows).map { Double(z[$0]) - thresholdLogit } }
        do {
            return (0..<rows).map { r in
                let row = z[(r * k)..<((r + 1) * k)].map(Double.init)
                let others: [Double] = row.enumerated().filter { $0.offset != 1 }.map { $0.element }
                let top = others.max() ?? 0
                let lse = top + Foundation.log(others.reduce(0) { $0 + Foundation.exp($1 - top) })
                return row[1] - lse - thresholdLogit
            }
        }
    }

    /// Adds `∂m/∂z · dm` into `d`: 1 for a sigmoid logit; for softmax logits
    /// `∂m/∂z₁ = 1` and `∂m/∂z_j = −softmax_{j≠1}(z)_j`.
    func addMarginChain(_ z: [Float], rows: Int, dMargin: [Double], into d: inout [Float]) {
        let k = loss.classes
        guard k > 1 else {
            for r in 0..<rows { d[r] += Float(dMargin[r]) }
            return
        }
        do {
            for r in 0..<rows where dMargin[r] != 0 {
                let row = z[(r * k)..<((r + 1) * k)].map(Double.init)
                let top: Double = row.enumerated().filter { $0.offset != 1 }.map { $0.element }.max() ?? 0
                var e = row.map { Foundation.exp($0 - top) }
                e[1] = 0
                let sum = e.reduce(0, +)
                for c in 0..<k { d[r * k + c] += Float(dMargin[r] * (c == 1 ? 1 : -e[c] / sum)) }
            }
        }
    }
}
