import Foundation

/// The per-(sample, head) products of attention as plain loops, for the
/// short sequences and narrow heads of small encoders: there a BLAS call
/// (a 16×16×8 product for a 16-token, 2-head, 8-wide block) costs more in
/// dispatch and packing than the arithmetic. The key (or value) block of
/// one head is transposed once into a scratch so every inner loop runs
/// over contiguous memory and vectorizes.
extension AttentionKernels {
    /// True when one head's products are small enough for the loops
    /// (`tq · tv · max(kd, vd)` at most 64k multiply-adds).
    static func usesLoops(_ d: AttentionDims) -> Bool {
        d.tq * d.tv * max(d.kd, d.vd) <= 65_536
    }

    /// Scratch values the loops need: a transposed head block and a `tq × tv` matrix.
    static func loopScratchCount(_ d: AttentionDims) -> Int {
        max(d.kd, d.vd) * d.tv + d.tq * d.tv
    }

    /// `out[c·n + j] = a[j·lda + c]` for `j < n`, `c < w`: one head's block, transposed.
    @inline(__always) static func transpose(
        _ a: UnsafePointer<Float>, lda: Int, rows n: Int, width w: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<n {
            let row = a + j * lda
            for c in 0..<w { out[c * n + j] = row[c] }
        }
    }

    /// ``attend(q:k:v:probs:c:_:)`` by loops; `scratch` holds ``loopScratchCount(_:)`` values.
    static func attendLoops(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
        scratch kt: UnsafeMutablePointer<Float>, _ d: AttentionDims
    ) {
        let qw = d.qkWidth
        let vw = d.vWidth
        for b in 0..<d.rows {
            for h in 0..<d.heads {
                let p = probs + (b * d.heads + h) * d.tq * d.tv
                transpose(k + b * d.tv * qw + h * d.kd, lda: qw, rows: d.tv, width: d.kd, into: kt)
                SmallProduct.combine(
                    MatrixView(q + b * d.tq * qw + h * d.kd, rowStride: qw), m: d.tq, n: d.kd, kt, ldb: d.tv,
                    width: d.tv, into: p, ldo: d.tv)
                FastMath.softmaxRows(p, count: d.tq * d.tv, width: d.tv)
                SmallProduct.combine(
                    MatrixView(p, rowStride: d.tv), m: d.tq, n: d.tv, v + b * d.tv * vw + h * d.vd, ldb: vw,
                    width: d.vd, into: c + b * d.tq * vw + h * d.vd, ldo: vw)
            }
        }
    }

    /// ``backward(dc:q:k:v:probs:scale:dq:dk:dv:scratch:_:)`` by loops;
    /// `scratch` holds ``loopScratchCount(_:)`` values.
    static func backwardLoops(
        dc: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, scale: Float, dq: UnsafeMutablePointer<Float>,
        dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ d: AttentionDims
    ) {
        let qw = d.qkWidth
        let vw = d.vWidth
        let vt = scratch
        let ds = scratch + max(d.kd, d.vd) * d.tv
        for b in 0..<d.rows {
            for h in 0..<d.heads {
                let p = probs + (b * d.heads + h) * d.tq * d.tv
                let dcb = dc + b * d.tq * vw + h * d.vd
                let vb = v + b * d.tv * vw + h * d.vd
                let qb = q + b * d.tq * qw + h * d.kd
                let kb = k + b * d.tv * qw + h * d.kd
                // dP = dC Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)).
                transpose(vb, lda: vw, rows: d.tv, width: d.vd, into: vt)
                SmallProduct.combine(
                    MatrixView(dcb, rowStride: vw), m: d.tq, n: d.vd, vt, ldb: d.tv, width: d.tv, into: ds, ldo: d.tv)
                for i in 0..<d.tq {
                    let row = ds + i * d.tv
                    let pr = p + i * d.tv
                    var dot: Float = 0
                    for j in 0..<d.tv { dot += row[j] * pr[j] }
                    for j in 0..<d.tv { row[j] = pr[j] * (row[j] - dot) }
                }
                // dV = Pᵀ dC, dQ = scale · dS K, dK = dSᵀ Q.
                SmallProduct.combine(
                    MatrixView(p, rowStride: 1, columnStride: d.tv), m: d.tv, n: d.tq, dcb, ldb: vw, width: d.vd,
                    into: dv + b * d.tv * vw + h * d.vd, ldo: vw)
                SmallProduct.combine(
                    MatrixView(ds, rowStride: d.tv), m: d.tq, n: d.tv, alpha: scale, kb, ldb: qw, width: d.kd,
                    into: dq + b * d.tq * qw + h * d.kd, ldo: qw)
                SmallProduct.combine(
                    MatrixView(ds, rowStride: 1, columnStride: d.tv), m: d.tv, n: d.tq, qb, ldb: qw, width: d.kd,
                    into: dk + b * d.tv * qw + h * d.kd, ldo: qw)
            }
        }
    }
}
