import CBLAS
import Foundation

extension FixerNetwork {
    /// Zero arrays shaped like `params`.
    func zeroGradients() -> [[Float]] { params.map { [Float](repeating: 0, count: $0.count) } }

    /// Backpropagates `dLogits` (`∂loss/∂z`, rows × outputWidth) through the
    /// tape and adds each trainable parameter's gradient into `grads`:
    /// dense `dW = Xᵀ Δ`, `db = Σ_n δ_n`, `dX = Δ Wᵀ`; factorized
    /// `dB = Hᵀ Δ`, `dH = Δ Bᵀ`, `dA = Xᵀ dH`, `dX = dH Aᵀ` (every product an `sgemm`).
    ///
    /// With `squared`, each row of `dLogits` is one sample's own delta and the
    /// sums are of squared per-sample gradients instead (METHOD §1):
    /// `Σ_n (∂ℓ_n/∂W)² = (X∘X)ᵀ(Δ∘Δ)`, `Σ_n (∂ℓ_n/∂b)² = Σ_n δ_n∘δ_n`,
    /// for every parameter, trainable or not.
    func backward(_ tape: Tape, dLogits: [Float], into grads: inout [[Float]], squared: Bool = false) {
        let rows = tape.rows
        let firstDense = ops.firstIndex { if case .dense = $0 { return true } else { return false } } ?? 0
        var delta = dLogits
        for index in stride(from: ops.count - 1, through: firstDense, by: -1) {
            let input = tape.inputs[index]
            let wantInput = index > firstDense
            switch ops[index] {
            case .dense(let d):
                let layer = denses[d]
                let (m, n) = (layer.rows, layer.cols)
                let dsq = squared ? delta.map { $0 * $0 } : delta
                if let bias = layer.bias, squared || trainable[bias] {
                    Self.addColumnSums(dsq, rows: rows, cols: n, into: &grads[bias])
                }
                if let (a, b, rank) = layer.factors {
                    let inner = tape.inner[index] ?? []
                    if squared || trainable[b] {
                        let h = squared ? inner.map { $0 * $0 } : inner
                        gemm(h, transA: true, dsq, transB: false, m: rank, n: n, k: rows, lda: rank, ldb: n, into: &grads[b], beta: 1)
                    }
                    var dInner = [Float](repeating: 0, count: rows * rank)
                    gemm(delta, transA: false, params[b], transB: true, m: rows, n: rank, k: n, lda: n, ldb: n, into: &dInner, beta: 0)
                    if squared || trainable[a] {
                        let x = squared ? input.map { $0 * $0 } : input
                        let dh = squared ? dInner.map { $0 * $0 } : dInner
                        gemm(x, transA: true, dh, transB: false, m: m, n: rank, k: rows, lda: m, ldb: rank, into: &grads[a], beta: 1)
                    }
                    if wantInput {
                        var dx = [Float](repeating: 0, count: rows * m)
                        gemm(dInner, transA: false, params[a], transB: true, m: rows, n: m, k: rank, lda: rank, ldb: rank, into: &dx, beta: 0)
                        delta = dx
                    }
                } else if let k = layer.kernel {
                    if squared || trainable[k] {
                        let x = squared ? input.map { $0 * $0 } : input
                        gemm(x, transA: true, dsq, transB: false, m: m, n: n, k: rows, lda: m, ldb: n, into: &grads[k], beta: 1)
                    }
                    if wantInput {
                        var dx = [Float](repeating: 0, count: rows * m)
                        gemm(delta, transA: false, params[k], transB: true, m: rows, n: m, k: n, lda: n, ldb: n, into: &dx, beta: 0)
                        delta = dx
                    }
                }
            case .activation(let act, let slope):
                act.backwardInPlace(&delta, z: input, width: 1, slope: slope)
            case .affine(let scale, _):
                let n = scale.count
                for i in 0..<delta.count { delta[i] *= scale[i % n] }
            }
        }
    }

    /// `out += mᵀ 1`: the column sums of a row-major `rows × cols` matrix (`sgemv`).
    static func addColumnSums(_ m: [Float], rows: Int, cols: Int, into out: inout [Float]) {
        guard rows > 0, m.count >= rows * cols, out.count >= cols else { return }
        let ones = [Float](repeating: 1, count: rows)
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), 1, m, Int32(cols), ones, 1, 1, &out, 1)
    }
}
