import CBLAS
import Foundation

extension Network {
    /// Replaces dense op `i`'s kernel by trainable factors `A` (`inputs × rank`)
    /// and `B` (`rank × outputs`), both in×out orientation, so the op computes
    /// `(x A) B + b`. The factors are appended as tensors `<kernel>#A`,
    /// `<kernel>#B`; the original kernel stays, frozen, for ``write(into:)``.
    /// Does nothing unless op `i` is a whole dense layer and the sizes fit.
    mutating func factorize(op i: Int, a: [Float], b: [Float], rank: Int) {
        guard ops.indices.contains(i), rank > 0,
              case .dense(let k, let bias, let nIn, let nOut, let layout, let act, let slope) = ops[i],
              a.count == nIn * rank, b.count == rank * nOut else { return }
        let name = parameterNames[k]
        func append(_ v: [Float], _ suffix: String, _ shape: [Int]) -> Int {
            parameterNames.append(name + suffix); parameterShapes.append(shape); values.append(v)
            trainable.append(values.count - 1)
            return values.count - 1
        }
        let ia = append(a, "#A", [nIn, rank]), ib = append(b, "#B", [rank, nOut])
        trainable.removeAll { $0 == k }
        ops[i] = .factorized(kernel: k, a: ia, b: ib, rank: rank, bias: bias, inputs: nIn, outputs: nOut,
                             layout: layout, activation: act, slope: slope)
    }

    /// Indices of the factor tensors of every factorized op.
    var factorIndices: Set<Int> {
        var out = Set<Int>()
        for case .factorized(_, let a, let b, _, _, _, _, _, _, _) in ops { out.insert(a); out.insert(b) }
        return out
    }

    /// The product `A·B` of each factorized op, in its kernel's stored
    /// orientation (transposed for out×in), keyed by the kernel's index.
    func factorizedKernels() -> [Int: [Float]] {
        var out: [Int: [Float]] = [:]
        for case .factorized(let k, let a, let b, let rank, _, let nIn, let nOut, let layout, _, _) in ops {
            let w = LowRankFactors(rows: nIn, cols: nOut, rank: rank, a: values[a], b: values[b], singularValues: []).product()
            out[k] = layout == .outIn ? Self.transpose(w, rows: nIn, cols: nOut) : w
        }
        return out
    }

    /// Backward step of factorized op `i` (`ws.g` holds `∂ℓ/∂a` on entry, `∂ℓ/∂x` on exit):
    /// `dB = Hᵀ Δ`, `dH = Δ Bᵀ`, `dA = Xᵀ dH`, `dX = dH Aᵀ`, `db = Σ_n δ_n`; with
    /// `squares`, `(H∘H)ᵀ(w∘Δ∘Δ)` and `(X∘X)ᵀ(w∘dH∘dH)` instead (per-sample squares).
    func backwardFactorized(op i: Int, _ t: ForwardTrace, rowWeights: [Float]?, squares: Bool,
                            into acc: inout [[Float]], workspace ws: inout BackwardWorkspace) {
        guard case .factorized(_, let a, let fb, let rank, let b, let nIn, let nOut, _, let act, let slope) = ops[i] else { return }
        let rows = t.rows
        func slot(_ p: Int) -> Int? { trainable.firstIndex(of: p) }
        act.backwardInPlace(&ws.g, z: t.inner[i], width: nOut, slope: slope)  // ws.g is now Δ
        if squares {
            Buffers.copy(ws.g, into: &ws.sq)
            FloatKernels.squareInPlace(&ws.sq, rows: rows, width: nOut, rowWeights: rowWeights)
        }
        if let b, let s = slot(b) { addBiasGradient(squares ? ws.sq : ws.g, squares: squares, rows: rows, width: nOut, into: &acc[s]) }
        if let s = slot(fb) {
            if squares {
                Buffers.copy(t.hidden[i], into: &ws.hiddenSquared)
                FloatKernels.squareInPlace(&ws.hiddenSquared, rows: rows, width: rank, rowWeights: nil)
            }
            gemm(squares ? ws.hiddenSquared : t.hidden[i], transA: true, squares ? ws.sq : ws.g, transB: false,
                 m: rank, n: nOut, k: rows, lda: rank, ldb: nOut, into: &acc[s], beta: 1)
        }
        Buffers.resize(&ws.dh, rows * rank)
        gemm(ws.g, transA: false, values[fb], transB: true, m: rows, n: rank, k: nOut, lda: nOut, ldb: nOut,
             into: &ws.dh, beta: 0)
        if let s = slot(a) {
            if squares {
                if !ws.squaredValid[i] {
                    Buffers.copy(t.inputs[i], into: &ws.squaredInputs[i])
                    FloatKernels.squareInPlace(&ws.squaredInputs[i], rows: rows, width: nIn, rowWeights: nil)
                    ws.squaredValid[i] = true
                }
                Buffers.copy(ws.dh, into: &ws.dhSquared)
                FloatKernels.squareInPlace(&ws.dhSquared, rows: rows, width: rank, rowWeights: rowWeights)
            }
            gemm(squares ? ws.squaredInputs[i] : t.inputs[i], transA: true, squares ? ws.dhSquared : ws.dh,
                 transB: false, m: nIn, n: rank, k: rows, lda: nIn, ldb: rank, into: &acc[s], beta: 1)
        }
        if i > 0 {
            Buffers.resize(&ws.gin, rows * nIn)
            gemm(ws.dh, transA: false, values[a], transB: true, m: rows, n: nIn, k: rank, lda: rank, ldb: rank,
                 into: &ws.gin, beta: 0)
            swap(&ws.g, &ws.gin)
        }
    }

    /// `acc += dᵀ 1`, the column sums of a row-major `rows × width` matrix:
    /// one `sgemv` for gradients, a row-by-row loop for squares (`squares`,
    /// the order the audit Fisher has always summed in).
    func addBiasGradient(_ d: [Float], squares: Bool, rows: Int, width: Int, into acc: inout [Float]) {
        if squares {
            FloatKernels.addColumnSums(d, squares: false, rowWeights: nil, rows: rows, width: width, into: &acc)
            return
        }
        guard rows > 0, width > 0, d.count >= rows * width, acc.count >= width else { return }
        let ones = [Float](repeating: 1, count: rows)
        cblas_sgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(width), 1, d, blasint(width), ones, 1, 1, &acc, 1)
    }

    /// The transpose of a row-major `rows × cols` matrix.
    static func transpose(_ m: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m.count)
        guard m.count >= rows * cols else { return out }
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = m[r * cols + c] } }
        return out
    }
}
