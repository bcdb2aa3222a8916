import Foundation

/// The Fisher of a dense kernel shared over positions (a `Dense` on rank ≥ 3
/// input, an attention projection): sample `n`'s gradient is the sum over
/// its positions `G_n = Σ_t x_{n,t} ⊗ δ_{n,t}` (bias: `Σ_t δ_{n,t}`), squared
/// only once formed. Each sample's sum is built in a small reused buffer by
/// ``SmallProduct`` and its weighted squares added at once, so no
/// `rows × parameters` matrix of per-sample gradients is ever stored.
extension Dense {
    /// `out[kernelSlot][c, ·] += Σ_n w[n, c] G_n²` and `out[biasSlot][c, ·] += Σ_n w[n, c] (Σ_t δ_{n,t})²`
    /// (each square rounded to float32 once, weighted and summed in double),
    /// `G_n` in the kernel's stored layout; either slot may be absent.
    static func accumulateSharedSquares(
        x: Batch, delta: UnsafePointer<Float>, nOut: Int, layout: KernelLayout,
        kernel kernelOut: UnsafeMutablePointer<Double>?,
        bias biasOut: UnsafeMutablePointer<Double>?, weights: Membership, scratch: inout [Float]
    ) {
        let rows = x.rows
        let t = x.positions
        let nIn = x.lastAxis
        let size = nIn * nOut
        let columns = weights.columns
        guard rows > 0, t > 0, weights.weights.count >= rows * columns, x.data.count >= rows * t * nIn else { return }
        Buffers.resize(&scratch, size + nOut)
        scratch.withUnsafeMutableBufferPointer { ps in
            x.data.withUnsafeBufferPointer { px in
                weights.weights.withUnsafeBufferPointer { pw in
                    guard let g = ps.baseAddress, let xs = px.baseAddress, let w = pw.baseAddress else { return }
                    let gb = g + size
                    for n in 0..<rows {
                        let xn = xs + n * t * nIn
                        let dn = delta + n * t * nOut
                        if let kernelOut {
                            if size * t > 65_536 {  // large enough for BLAS to pay off
                                if layout == .inOut {
                                    gemm(
                                        transA: true, transB: false, m: nIn, n: nOut, k: t, a: xn, lda: nIn, b: dn,
                                        ldb: nOut, beta: 0, c: g, ldc: nOut)
                                } else {
                                    gemm(
                                        transA: true, transB: false, m: nOut, n: nIn, k: t, a: dn, lda: nOut, b: xn,
                                        ldb: nIn, beta: 0, c: g, ldc: nIn)
                                }
                            } else if layout == .inOut {
                                SmallProduct.combine(
                                    MatrixView(xn, rowStride: 1, columnStride: nIn), m: nIn, n: t, dn, ldb: nOut,
                                    width: nOut, into: g, ldo: nOut)
                            } else {
                                SmallProduct.combine(
                                    MatrixView(dn, rowStride: 1, columnStride: nOut), m: nOut, n: t, xn, ldb: nIn,
                                    width: nIn, into: g, ldo: nIn)
                            }
                            addSquares(g, count: size, weights: w + n * columns, columns: columns, into: kernelOut)
                        }
                        if let biasOut {
                            gb.update(repeating: 0, count: nOut)
                            for p in 0..<t {
                                let d = dn + p * nOut
                                for j in 0..<nOut { gb[j] += d[j] }
                            }
                            addSquares(gb, count: nOut, weights: w + n * columns, columns: columns, into: biasOut)
                        }
                    }
                }
            }
        }
    }

    /// `out[c·count + i] += w[c] · (g[i]²)` for each column `c` with a non-zero weight.
    @inline(__always) static func addSquares(
        _ g: UnsafePointer<Float>, count: Int, weights w: UnsafePointer<Float>, columns: Int,
        into out: UnsafeMutablePointer<Double>
    ) {
        for c in 0..<columns {
            let wc = Double(w[c])
            guard wc != 0 else { continue }
            let o = out + c * count
            if wc == 1 {
                for i in 0..<count { o[i] += Double(g[i] * g[i]) }
            } else {
                for i in 0..<count { o[i] += wc * Double(g[i] * g[i]) }
            }
        }
    }
}
