import Foundation

/// Adam (Kingma & Ba 2015) over the trainable parameters:
/// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
/// `θ ← θ − lr · m̂ / (√v̂ + ε)` with `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`.
struct FixerAdam {
    var learningRate: Float
    var beta1: Float = 0.9
    var beta2: Float = 0.999
    var epsilon: Float = 1e-8
    private(set) var step = 0
    private var m: [[Float]]
    private var v: [[Float]]

    /// Zero moments shaped like `params` (the trainable tensors, in order).
    init(learningRate: Float, shapes params: [[Float]]) {
        self.learningRate = learningRate
        m = params.map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    /// One update of the trainable tensors `values[indices[s]]` from their
    /// gradients `grads[s]` (slot `s` as in `init`).
    mutating func update(_ values: inout [[Float]], grads: [[Float]], indices: [Int]) {
        step += 1
        let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(step)))
        let c2 = 1 - Float(Foundation.pow(Double(beta2), Double(step)))
        let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
        precondition(
            grads.count == indices.count && m.count == indices.count, "FixerAdam: slots and gradients disagree")
        for (s, p) in indices.enumerated() {
            precondition(
                grads[s].count == values[p].count && m[s].count == values[p].count, "FixerAdam: slot \(s) changed size")
            grads[s].withUnsafeBufferPointer { g in
                m[s].withUnsafeMutableBufferPointer { m in
                    v[s].withUnsafeMutableBufferPointer { v in
                        values[p].withUnsafeMutableBufferPointer { theta in
                            for i in 0..<theta.count {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                let mh = m[i] / c1
                                let vh = v[i] / c2
                                theta[i] -= lr * mh / (vh.squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
