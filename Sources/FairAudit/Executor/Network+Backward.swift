import Foundation

/// What the backward pass adds into the per-tensor accumulators.
enum Accumulation {
    /// `Σ_n ∂ℓ_n/∂θ` (deltas already carry any per-row weight).
    case sum
    /// `Σ_n w_n (∂ℓ_n/∂θ)²` through the squared-GEMM identity
    /// `(X∘X)ᵀ(Δ∘Δ)`; `w_n` from `rowWeights` (1 when nil).
    case squares(rowWeights: [Float]?)
}

/// Scratch buffers of the backward pass, reused batch after batch.
struct BackwardWorkspace {
    /// The running gradient with respect to the current op's output.
    var g: [Float] = []
    /// The next gradient (swapped with `g`).
    var gin: [Float] = []
    /// `w ∘ δ ∘ δ` of the current dense layer.
    var sq: [Float] = []
    /// Factorized layer: `∂ℓ/∂H = Δ Bᵀ`, its weighted square, and `H ∘ H`.
    var dh: [Float] = []
    var dhSquared: [Float] = []
    var hiddenSquared: [Float] = []
    /// `X ∘ X` per op, valid for the current batch when `squaredValid[i]`.
    var squaredInputs: [[Float]]
    var squaredValid: [Bool]

    init(ops: Int) {
        squaredInputs = Array(repeating: [], count: ops)
        squaredValid = Array(repeating: false, count: ops)
    }

    /// Marks the cached `X ∘ X` stale (call once per new batch).
    mutating func newBatch() { for i in squaredValid.indices { squaredValid[i] = false } }
}

extension Network {
    /// Back-propagates per-row logit deltas `∂ℓ_n/∂z_n` through the trace,
    /// adding each trainable tensor's contribution into `acc` (indexed like
    /// `trainableNames`, stored orientation).
    func backward(_ t: ForwardTrace, logitDelta: [Float], mode: Accumulation,
                  into acc: inout [[Float]], workspace ws: inout BackwardWorkspace) {
        let rows = t.rows
        Buffers.copy(logitDelta, into: &ws.g)
        var rowWeights: [Float]? = nil
        var squares = false
        if case .squares(let w) = mode { squares = true; rowWeights = w }
        func slot(_ p: Int) -> Int? { trainable.firstIndex(of: p) }
        for i in stride(from: ops.count - 1, through: 0, by: -1) {
            switch ops[i] {
            case .dense(let k, let b, let nIn, let nOut, let layout, let act, let slope):
                act.backwardInPlace(&ws.g, z: t.inner[i], width: nOut, slope: slope)  // ws.g is now δ
                if squares {
                    Buffers.copy(ws.g, into: &ws.sq)
                    FloatKernels.squareInPlace(&ws.sq, rows: rows, width: nOut, rowWeights: rowWeights)
                }
                if let s = slot(k) {
                    if squares && !ws.squaredValid[i] {
                        Buffers.copy(t.inputs[i], into: &ws.squaredInputs[i])
                        FloatKernels.squareInPlace(&ws.squaredInputs[i], rows: rows, width: nIn, rowWeights: nil)
                        ws.squaredValid[i] = true
                    }
                    let xs = squares ? ws.squaredInputs[i] : t.inputs[i]
                    let d = squares ? ws.sq : ws.g
                    if layout == .inOut {
                        gemm(xs, transA: true, d, transB: false, m: nIn, n: nOut, k: rows, lda: nIn, ldb: nOut,
                             into: &acc[s], beta: 1)
                    } else {
                        gemm(d, transA: true, xs, transB: false, m: nOut, n: nIn, k: rows, lda: nOut, ldb: nIn,
                             into: &acc[s], beta: 1)
                    }
                }
                if let b, let s = slot(b) { addBiasGradient(squares ? ws.sq : ws.g, squares: squares, rows: rows, width: nOut, into: &acc[s]) }
                if i > 0 {
                    Buffers.resize(&ws.gin, rows * nIn)
                    gemm(ws.g, transA: false, values[k], transB: layout == .inOut, m: rows, n: nIn, k: nOut,
                         lda: nOut, ldb: layout == .inOut ? nOut : nIn, into: &ws.gin, beta: 0)
                    swap(&ws.g, &ws.gin)
                }
            case .factorized:
                backwardFactorized(op: i, t, rowWeights: rowWeights, squares: squares, into: &acc, workspace: &ws)
            case .activation(let act, let slope, let w):
                act.backwardInPlace(&ws.g, z: t.inputs[i], width: w, slope: slope)
            case .batchNorm(let gi, let bi, _, let v, let eps, let w):
                accumulateAffine(g: ws.g, xhat: t.inner[i], gamma: gi, beta: bi, width: w, rows: rows,
                                 rowWeights: rowWeights, squares: squares, into: &acc)
                if i > 0 {
                    let variance = values[v]
                    let gamma = gi.map { values[$0] }
                    for r in 0..<rows {
                        for j in 0..<w { ws.g[r * w + j] *= (gamma?[j] ?? 1) / (variance[j] + eps).squareRoot() }
                    }
                }
            case .layerNorm(let gi, let bi, _, let w):
                let xhat = t.inner[i]
                accumulateAffine(g: ws.g, xhat: xhat, gamma: gi, beta: bi, width: w, rows: rows,
                                 rowWeights: rowWeights, squares: squares, into: &acc)
                if i > 0 {
                    // dx = (1/σ) (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)), ĝ = g ⊙ γ.
                    let gamma = gi.map { values[$0] }
                    let inv = t.invStd[i]
                    for r in 0..<rows {
                        var m1: Float = 0, m2: Float = 0
                        for j in 0..<w {
                            let gh = ws.g[r * w + j] * (gamma?[j] ?? 1)
                            m1 += gh; m2 += gh * xhat[r * w + j]
                        }
                        m1 /= Float(w); m2 /= Float(w)
                        for j in 0..<w {
                            let gh = ws.g[r * w + j] * (gamma?[j] ?? 1)
                            ws.g[r * w + j] = inv[r] * (gh - m1 - xhat[r * w + j] * m2)
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
