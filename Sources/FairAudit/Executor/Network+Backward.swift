import Foundation

/// What the backward pass adds into the per-tensor accumulators.
enum Accumulation {
    /// `Σ_n ∂ℓ_n/∂θ` (deltas already carry any per-row weight).
    case sum
    /// `Σ_n w_n (∂ℓ_n/∂θ)²` through the squared-GEMM identity
    /// `(X∘X)ᵀ(Δ∘Δ)`; `w_n` from `rowWeights` (1 when nil).
    case squares(rowWeights: [Float]?)
}

extension Network {
    /// Back-propagates per-row logit deltas `∂ℓ_n/∂z_n` through the trace,
    /// adding each trainable tensor's contribution into `acc` (indexed like
    /// `trainableNames`, stored orientation). `squaredInputs` caches `X∘X` per op.
    func backward(_ t: ForwardTrace, logitDelta: [Float], mode: Accumulation,
                  into acc: inout [[Float]], squaredInputs: inout [Int: [Float]]) {
        let rows = t.rows
        var g = logitDelta
        var rowWeights: [Float]? = nil
        var squares = false
        if case .squares(let w) = mode { squares = true; rowWeights = w }
        func slot(_ p: Int) -> Int? { trainable.firstIndex(of: p) }
        for i in stride(from: ops.count - 1, through: 0, by: -1) {
            let x = t.inputs[i]
            switch ops[i] {
            case .dense(let k, let b, let nIn, let nOut, let layout, let act, let slope):
                let delta = act.backward(g, z: t.inner[i], width: nOut, slope: slope)
                let d = squares ? FloatKernels.squared(delta, rows: rows, width: nOut, rowWeights: rowWeights) : delta
                if let s = slot(k) {
                    var xs = x
                    if squares {
                        if let cached = squaredInputs[i] { xs = cached } else {
                            xs = FloatKernels.squared(x, rows: rows, width: nIn)
                            squaredInputs[i] = xs
                        }
                    }
                    if layout == .inOut {
                        gemm(xs, transA: true, d, transB: false, m: nIn, n: nOut, k: rows, lda: nIn, ldb: nOut,
                             into: &acc[s], beta: 1)
                    } else {
                        gemm(d, transA: true, xs, transB: false, m: nOut, n: nIn, k: rows, lda: nOut, ldb: nIn,
                             into: &acc[s], beta: 1)
                    }
                }
                if let b, let s = slot(b) {
                    FloatKernels.addColumnSums(d, squares: false, rowWeights: nil, rows: rows, width: nOut, into: &acc[s])
                }
                if i > 0 {
                    var gin = [Float](repeating: 0, count: rows * nIn)
                    gemm(delta, transA: false, values[k], transB: layout == .inOut, m: rows, n: nIn, k: nOut,
                         lda: nOut, ldb: layout == .inOut ? nOut : nIn, into: &gin, beta: 0)
                    g = gin
                }
            case .activation(let act, let slope, let w):
                g = act.backward(g, z: x, width: w, slope: slope)
            case .batchNorm(let gi, let bi, _, let v, let eps, let w):
                accumulateAffine(g: g, xhat: t.inner[i], gamma: gi, beta: bi, width: w, rows: rows,
                                 rowWeights: rowWeights, squares: squares, into: &acc)
                if i > 0 {
                    let variance = values[v]
                    let gamma = gi.map { values[$0] }
                    for r in 0..<rows {
                        for j in 0..<w { g[r * w + j] *= (gamma?[j] ?? 1) / (variance[j] + eps).squareRoot() }
                    }
                }
            case .layerNorm(let gi, let bi, _, let w):
                let xhat = t.inner[i]
                accumulateAffine(g: g, xhat: xhat, gamma: gi, beta: bi, width: w, rows: rows,
                                 rowWeights: rowWeights, squares: squares, into: &acc)
                if i > 0 {
                    // dx = (1/σ) (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)), ĝ = g ⊙ γ.
                    let gamma = gi.map { values[$0] }
                    let inv = t.invStd[i]
                    for r in 0..<rows {
                        var m1: Float = 0, m2: Float = 0
                        for j in 0..<w {
                            let gh = g[r * w + j] * (gamma?[j] ?? 1)
                            m1 += gh; m2 += gh * xhat[r * w + j]
                        }
                        m1 /= Float(w); m2 /= Float(w)
                        for j in 0..<w {
                            let gh = g[r * w + j] * (gamma?[j] ?? 1)
                            g[r * w + j] = inv[r] * (gh - m1 - xhat[r * w + j] * m2)
                        }
                    }
                }
            }
        }
    }

    /// γ and β of a normalization layer: per-row gradients `g ⊙ x̂` and `g`,
    /// summed or squared-and-summed.
    private func accumulateAffine(g: [Float], xhat: [Float], gamma: Int?, beta: Int?, width w: Int, rows: Int,
                                  rowWeights: [Float]?, squares: Bool, into acc: inout [[Float]]) {
        if let gamma, let s = trainable.firstIndex(of: gamma) {
            FloatKernels.addColumnSums(g, times: xhat, squares: squares, rowWeights: rowWeights, rows: rows, width: w,
                                       into: &acc[s])
        }
        if let beta, let s = trainable.firstIndex(of: beta) {
            FloatKernels.addColumnSums(g, squares: squares, rowWeights: rowWeights, rows: rows, width: w, into: &acc[s])
        }
    }

    /// Zeroed accumulators, one per trainable tensor.
    func zeroAccumulators() -> [[Float]] {
        trainable.map { [Float](repeating: 0, count: values[$0].count) }
    }
}
