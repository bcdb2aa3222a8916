import CBLAS
import Foundation

/// The matrix work of a dense layer, shared by ``DenseOp`` and ``FactorizedDenseOp``.
enum Dense {
    /// `z = X W + b` for `rows` rows of `nIn` values (`W` in its stored layout).
    static func affine(
        _ x: [Float], rows: Int, nIn: Int, nOut: Int, kernel: [Float], layout: KernelLayout,
        bias: [Float]?, into z: inout [Float]
    ) {
        fillBias(bias, rows: rows, width: nOut, into: &z)
        gemm(
            x, transA: false, kernel, transB: layout == .outIn, m: rows, n: nOut, k: nIn,
            lda: nIn, ldb: layout == .inOut ? nOut : nIn, into: &z, beta: bias == nil ? 0 : 1)
    }

    /// Sizes `z` to `rows × width` and, with a bias, sets every row to it.
    static func fillBias(_ bias: [Float]?, rows: Int, width: Int, into z: inout [Float]) {
        Buffers.resize(&z, rows * width)
        guard let bias else { return }
        bias.withUnsafeBufferPointer { pb in
            z.withUnsafeMutableBufferPointer { pz in
                guard let b = pb.baseAddress, let dst = pz.baseAddress, pb.count >= width else { return }
                Buffers.fillRows(dst, rows: rows, with: b, width: width)
            }
        }
    }

    /// `Σ_r d[r, j]`, one `sgemv` with a vector of ones.
    static func columnSums(_ d: [Float], rows: Int, width: Int) -> [Float] {
        var acc = [Float](repeating: 0, count: width)
        guard rows > 0, width > 0, d.count >= rows * width else { return acc }
        let ones = [Float](repeating: 1, count: rows)
        cblas_sgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(width), 1, d, blasint(width), ones, 1, 0, &acc, 1)
        return acc
    }

    /// Per-sample gradients of a dense layer's `kernel` (`rows × nIn·nOut`,
    /// stored layout) or `bias` (`rows × nOut`): for sample `n` with
    /// positions `t`, `Σ_t x_{n,t} ⊗ δ_{n,t}` and `Σ_t δ_{n,t}`.
    static func sampleGradients(_ d: [Float], x: Batch, nOut: Int, layout: KernelLayout, role: ParameterRole) -> [Float]
    {
        let rows = x.rows
        let t = x.positions
        let nIn = x.lastAxis
        switch role {
        case .bias:
            var out = [Float](repeating: 0, count: rows * nOut)
            for n in 0..<rows {
                for p in 0..<t { for j in 0..<nOut { out[n * nOut + j] += d[(n * t + p) * nOut + j] } }
            }
            return out
        case .kernel, .factorA, .factorB:
            let size = nIn * nOut
            var out = [Float](repeating: 0, count: rows * size)
            x.data.withUnsafeBufferPointer { px in
                d.withUnsafeBufferPointer { pd in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let xs = px.baseAddress, let ds = pd.baseAddress, let o = po.baseAddress else { return }
                        for n in 0..<rows {
                            let xn = xs + n * t * nIn
                            let dn = ds + n * t * nOut
                            if layout == .inOut {
                                gemm(
                                    transA: true, transB: false, m: nIn, n: nOut, k: t, a: xn, lda: nIn, b: dn,
                                    ldb: nOut,
                                    beta: 0, c: o + n * size, ldc: nOut)
                            } else {
                                gemm(
                                    transA: true, transB: false, m: nOut, n: nIn, k: t, a: dn, lda: nOut, b: xn,
                                    ldb: nIn,
                                    beta: 0, c: o + n * size, ldc: nIn)
                            }
                        }
                    }
                }
            }
            return out
        default:
            return []
        }
    }
}
