import Foundation

/// The sizes of one multi-head attention pass over a batch.
struct AttentionDims: Sendable {
    /// Samples, query positions, key/value positions.
    var rows: Int, tq: Int, tv: Int
    /// Heads, key (and query) size per head, value size per head.
    var heads: Int, kd: Int, vd: Int

    /// Values per position of the projected query and key, `heads · kd`.
    var qkWidth: Int { heads * kd }
    /// Values per position of the projected value and the context, `heads · vd`.
    var vWidth: Int { heads * vd }
    /// Attention probabilities per sample, `heads · tq · tv`.
    var probsPerRow: Int { heads * tq * tv }
}

/// The per-head products of attention, as strided GEMMs over the
/// projected `(positions, heads, dim)` layouts (no transposes copied).
enum AttentionKernels {
    /// For each sample `b` and head `h`: `P_bh = softmax(Q_bh K_bhᵀ)` over
    /// the keys (`Q` already scaled by `1/√kd`) and `C_bh = P_bh V_bh`,
    /// written into `c` at the head's columns. Without `keepProbabilities`
    /// the AVX2 kernel leaves `probs` unwritten (a forward pass for scores alone).
    static func attend(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, _ d: AttentionDims,
        keepProbabilities: Bool = true
    ) {
        if usesShortRows(d) && VectorKernels.available {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: VectorKernels.shortRowScratchCount(d)) { s in
                guard let sb = s.baseAddress else { return }
                VectorKernels.attendShortRows(
                    q: q, k: k, v: v, probs: keepProbabilities ? probs : nil, c: c, scratch: sb, d)
            }
            return
        }
        if usesShortRows(d) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: shortRowScratchCount(d)) { s in
                guard let sb = s.baseAddress else { return }
                attendShortRows(q: q, k: k, v: v, probs: probs, c: c, scratch: sb, d)
            }
            return
        }
        if usesLoops(d) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: loopScratchCount(d)) { s in
                guard let sb = s.baseAddress else { return }
                attendLoops(q: q, k: k, v: v, probs: probs, c: c, scratch: sb, d)
            }
            return
        }
        let qw = d.qkWidth
        let vw = d.vWidth
        for b in 0..<d.rows {
            for h in 0..<d.heads {
                let p = probs + (b * d.heads + h) * d.tq * d.tv
                gemm(
                    transA: false, transB: true, m: d.tq, n: d.tv, k: d.kd, a: q + b * d.tq * qw + h * d.kd, lda: qw,
                    b: k + b * d.tv * qw + h * d.kd, ldb: qw, beta: 0, c: p, ldc: d.tv)
                Activation.softmaxRows(p, count: d.tq * d.tv, width: d.tv)
                gemm(
                    transA: false, transB: false, m: d.tq, n: d.vd, k: d.tv, a: p, lda: d.tv,
                    b: v + b * d.tv * vw + h * d.vd, ldb: vw, beta: 0, c: c + b * d.tq * vw + h * d.vd, ldc: vw)
            }
        }
    }

    /// The backward of ``attend(q:k:v:probs:c:_:)`` from `∂ℓ/∂C`:
    /// `dP = dC Vᵀ`, `dV = Pᵀ dC`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`,
    /// `dQ = scale · dS K` (the gradient of the unscaled query projection),
    /// `dK = dSᵀ Q`. `scratch` holds ``loopScratchCount(_:)`` values.
    static func backward(
        dc: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, scale: Float, dq: UnsafeMutablePointer<Float>,
        dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ d: AttentionDims
    ) {
        if usesLoops(d) {
            backwardLoops(
                dc: dc, q: q, k: k, v: v, probs: probs, scale: scale, dq: dq, dk: dk, dv: dv, scratch: scratch, d)
            return
        }
        let qw = d.qkWidth
        let vw = d.vWidth
        for b in 0..<d.rows {
            for h in 0..<d.heads {
                let p = probs + (b * d.heads + h) * d.tq * d.tv
                let dcb = dc + b * d.tq * vw + h * d.vd
                let vb = v + b * d.tv * vw + h * d.vd
                let qb = q + b * d.tq * qw + h * d.kd
                let kb = k + b * d.tv * qw + h * d.kd
                gemm(
                    transA: false, transB: true, m: d.tq, n: d.tv, k: d.vd, a: dcb, lda: vw, b: vb, ldb: vw,
                    beta: 0, c: scratch, ldc: d.tv)
                gemm(
                    transA: true, transB: false, m: d.tv, n: d.vd, k: d.tq, a: p, lda: d.tv, b: dcb, ldb: vw,
                    beta: 0, c: dv + b * d.tv * vw + h * d.vd, ldc: vw)
                for i in 0..<d.tq {
                    let row = scratch + i * d.tv
                    let pr = p + i * d.tv
                    var dot: Float = 0
                    for j in 0..<d.tv { dot += row[j] * pr[j] }
                    for j in 0..<d.tv { row[j] = pr[j] * (row[j] - dot) }
                }
                gemm(
                    transA: false, transB: false, m: d.tq, n: d.kd, k: d.tv, alpha: scale, a: scratch, lda: d.tv, b: kb,
                    ldb: qw,
                    beta: 0, c: dq + b * d.tq * qw + h * d.kd, ldc: qw)
                gemm(
                    transA: true, transB: false, m: d.tv, n: d.kd, k: d.tq, a: scratch, lda: d.tv, b: qb, ldb: qw,
                    beta: 0, c: dk + b * d.tv * qw + h * d.kd, ldc: qw)
            }
        }
    }

    /// `out = α (x W + b)` for `rows` rows of `nIn` values into `out` (`rows × nOut`), `W` stored `nIn × nOut`.
    static func project(
        _ x: UnsafePointer<Float>, rows: Int, nIn: Int, nOut: Int, kernel: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, alpha: Float = 1, into out: UnsafeMutablePointer<Float>
    ) {
        if let bias {
            if alpha == 1 {
                Buffers.fillRows(out, rows: rows, with: bias, width: nOut)
            } else {
                withUnsafeTemporaryAllocation(of: Float.self, capacity: nOut) { scaled in
                    guard let sb = scaled.baseAddress else { return }
                    for j in 0..<nOut { sb[j] = alpha * bias[j] }
                    Buffers.fillRows(out, rows: rows, with: sb, width: nOut)
                }
            }
        }
        gemm(
            transA: false, transB: false, m: rows, n: nOut, k: nIn, alpha: alpha, a: x, lda: nIn, b: kernel,
            ldb: nOut, beta: bias == nil ? 0 : 1, c: out, ldc: nOut)
    }
}
