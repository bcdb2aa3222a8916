import Foundation

/// Attention over at most 16 keys (a short encoder's sequence): one query's
/// row of scores fits one `SIMD16`, so the scores, their softmax and the
/// probabilities are made in registers and stored once, and the context row
/// follows from them while they are still in cache. The key block of a head
/// is transposed once per (sample, head) into rows of 16 lanes, zero past
/// `tv`; those lanes are masked out of the softmax.
extension AttentionKernels {
    /// The most keys ``attendShortRows(q:k:v:probs:c:scratch:_:)`` takes.
    static let shortRowKeys = 16

    /// True when every query's scores fit one register row.
    static func usesShortRows(_ d: AttentionDims) -> Bool {
        d.tv >= 1 && d.tv <= shortRowKeys
    }

    /// Scratch values ``attendShortRows(q:k:v:probs:c:scratch:_:)`` needs: one head's keys,
    /// transposed, each query's sum of exponentials and its rows of scores.
    static func shortRowScratchCount(_ d: AttentionDims) -> Int { (d.kd + d.tq) * shortRowKeys + d.tq }

    /// ``attend(q:k:v:probs:c:_:)`` for `tv ≤ 16`: for each sample `b`, head
    /// `h` and query `i`, `s = q_i K_bhᵀ` in one register row, `p = softmax(s)`
    /// (lanes past `tv` weigh 0), stored into `probs`, then `c_i = p V_bh`.
    static func attendShortRows(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ d: AttentionDims
    ) {
        scratch.initialize(repeating: 0, count: shortRowScratchCount(d))
        if d.tv == shortRowKeys {
            attendShortRows(q: q, k: k, v: v, probs: probs, c: c, scratch: scratch, d, full: true)
        } else {
            attendShortRows(q: q, k: k, v: v, probs: probs, c: c, scratch: scratch, d, full: false)
        }
    }

    /// The loops of ``attendShortRows(q:k:v:probs:c:scratch:_:)``, inlined once with every
    /// lane a key (`full`: no mask) and once with a mask on the lanes past `tv`.
    /// Two query rows' scores and four rows' contexts are summed side by side:
    /// one row alone waits on its own chain of additions.
    @inline(__always) private static func attendShortRows(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ d: AttentionDims, full: Bool
    ) {
        let qw = d.qkWidth
        let vw = d.vWidth
        let tv = d.tv
        let tq = d.tq
        let kd = d.kd
        let vd = d.vd
        let lanes = shortRowKeys
        let kt = scratch
        // Full rows: scores straight into `probs`; else rows of 16 in the scratch.
        let sums = scratch + kd &* lanes
        let sb = full ? nil : sums + tq
        var keep = SIMD16<Float>(repeating: 0)
        for j in 0..<tv { keep[j] = 1 }
        let absent = (1 - keep) * SIMD16(repeating: -Float.greatestFiniteMagnitude)
        for b in 0..<d.rows {
            for h in 0..<d.heads {
                let kb = k + (b &* tv &* qw &+ h &* kd)
                for j in 0..<tv {
                    let row = kb + j &* qw
                    for e in 0..<kd { kt[e &* lanes &+ j] = row[e] }
                }
                let qb = q + (b &* tq &* qw &+ h &* kd)
                let pb = probs + (b &* d.heads &+ h) &* tq &* tv
                let rows = sb ?? pb
                scores(qb, ldq: qw, count: tq, kd: kd, kt: kt, into: rows)
                // Exponentials first, then the normalization: one row's chain of
                // max, exp, sum and divide is long, and rows in separate passes overlap.
                for i in 0..<tq {
                    let row = rows + i &* lanes
                    var s = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                    if !full { s += absent }
                    var x = FastMath.expNonPositive(s - FastMath.largest(s))
                    if !full { x *= keep }
                    UnsafeMutableRawPointer(row).storeBytes(of: x, as: SIMD16<Float>.self)
                    sums[i] = FastMath.total(x)
                }
                for i in 0..<tq {
                    let row = rows + i &* lanes
                    let p = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self) * (1 / sums[i])
                    if full {
                        UnsafeMutableRawPointer(row).storeBytes(of: p, as: SIMD16<Float>.self)
                    } else {
                        let pr = pb + i &* tv
                        for j in 0..<tv { pr[j] = p[j] }
                    }
                }
                context(
                    pb, count: tq, keys: tv, values: v + (b &* tv &* vw &+ h &* vd), ldv: vw, width: vd,
                    into: c + (b &* tq &* vw &+ h &* vd))
            }
        }
    }

    /// `out[i] = Σ_e q[i·ldq + e] kt[e]` (rows of 16 lanes) for `i < count`, two rows at a time.
    @inline(__always) static func scores(
        _ q: UnsafePointer<Float>, ldq: Int, count: Int, kd: Int, kt: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let lanes = shortRowKeys
        var i = 0
        while i &+ 2 <= count {
            let q0 = q + i &* ldq
            let q1 = q0 + ldq
            var s0 = SIMD16<Float>(repeating: 0)
            var s1 = SIMD16<Float>(repeating: 0)
            for e in 0..<kd {
                let r = UnsafeRawPointer(kt + e &* lanes).loadUnaligned(as: SIMD16<Float>.self)
                s0 += q0[e] * r
                s1 += q1[e] * r
            }
            UnsafeMutableRawPointer(out + i &* lanes).storeBytes(of: s0, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(out + (i &+ 1) &* lanes).storeBytes(of: s1, as: SIMD16<Float>.self)
            i &+= 2
        }
        if i < count {
            let q0 = q + i &* ldq
            var s0 = SIMD16<Float>(repeating: 0)
            for e in 0..<kd { s0 += q0[e] * UnsafeRawPointer(kt + e &* lanes).loadUnaligned(as: SIMD16<Float>.self) }
            UnsafeMutableRawPointer(out + i &* lanes).storeBytes(of: s0, as: SIMD16<Float>.self)
        }
    }

    /// `out[i·ldo + e] = Σ_{j<n} p[i·n + j] v[j·ldv + e]` for `i < count`, `e < width`
    /// (`ldo` is `ldv`): four rows and eight columns at a time, then the tails.
    @inline(__always) static func context(
        _ p: UnsafePointer<Float>, count: Int, keys n: Int, values v: UnsafePointer<Float>, ldv: Int, width w: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i &+ 4 <= count {
            let p0 = p + i &* n
            let o = out + i &* ldv
            var e = 0
            while e &+ 8 <= w {
                var a0 = SIMD8<Float>(repeating: 0)
                var a1 = a0
                var a2 = a0
                var a3 = a0
                var vj = v + e
                for j in 0..<n {
                    let r = UnsafeRawPointer(vj).loadUnaligned(as: SIMD8<Float>.self)
                    a0 += p0[j] * r
                    a1 += p0[n &+ j] * r
                    a2 += p0[2 &* n &+ j] * r
                    a3 += p0[3 &* n &+ j] * r
                    vj += ldv
                }
                UnsafeMutableRawPointer(o + e).storeBytes(of: a0, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + (ldv &+ e)).storeBytes(of: a1, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + (2 &* ldv &+ e)).storeBytes(of: a2, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + (3 &* ldv &+ e)).storeBytes(of: a3, as: SIMD8<Float>.self)
                e &+= 8
            }
            if e < w {
                SmallProduct.combine(
                    MatrixView(p0, rowStride: n), m: 4, n: n, v + e, ldb: ldv, width: w &- e, into: o + e, ldo: ldv)
            }
            i &+= 4
        }
        if i < count {
            SmallProduct.combine(
                MatrixView(p + i &* n, rowStride: n), m: count &- i, n: n, v, ldb: ldv, width: w, into: out + i &* ldv,
                ldo: ldv)
        }
    }
}
