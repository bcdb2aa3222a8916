import Foundation
import Testing

@testable import FairAudit

/// The AVX2 + FMA kernels (``VectorKernels``) against the portable Swift
/// kernels they stand in for and against double-precision formulas, on
/// random inputs and edge cases: one key, 16 and 17 keys (17 leave the
/// register rows), odd widths, tails shorter than a register. Tolerances:
/// the two float32 computations differ only in fused multiply-adds and
/// summation order, so they agree within a few float32 roundings of the
/// values' size; each is within the stated bound of the double formula.
/// Skipped where the CPU has no AVX2 (nothing there calls the kernels) or the portable
/// kernels are asked for.
@Suite(.enabled(if: VectorKernels.available, "no AVX2 and FMA, or FAIRAUDIT_PORTABLE_KERNELS set"))
struct VectorKernelTests {
    /// Softmax attention in double precision: `(probs, context)` laid out as ``AttentionKernels/attend(q:k:v:probs:c:_:)`` writes them.
    static func reference(q: [Float], k: [Float], v: [Float], _ d: AttentionDims) -> ([Double], [Double]) {
        var probs = [Double](repeating: 0, count: d.rows * d.probsPerRow)
        var c = [Double](repeating: 0, count: d.rows * d.tq * d.vWidth)
        for b in 0..<d.rows {
            for h in 0..<d.heads {
                for i in 0..<d.tq {
                    let s = (0..<d.tv).map { j in
                        (0..<d.kd).reduce(0.0) { acc, e in
                            acc + Double(q[(b * d.tq + i) * d.qkWidth + h * d.kd + e])
                                * Double(k[(b * d.tv + j) * d.qkWidth + h * d.kd + e])
                        }
                    }
                    let m = s.max() ?? 0
                    let ex = s.map { Foundation.exp($0 - m) }
                    let sum = ex.reduce(0, +)
                    for j in 0..<d.tv { probs[((b * d.heads + h) * d.tq + i) * d.tv + j] = ex[j] / sum }
                    for e in 0..<d.vd {
                        c[(b * d.tq + i) * d.vWidth + h * d.vd + e] = (0..<d.tv).reduce(0.0) {
                            $0 + ex[$1] / sum * Double(v[(b * d.tv + $1) * d.vWidth + h * d.vd + e])
                        }
                    }
                }
            }
        }
        return (probs, c)
    }

    /// Shapes `(tq, tv, heads, kd, vd)`: the zoo block's, one key, 16 and 17 keys, odd widths, value
    /// widths below, at and across one register of 8, query counts off the kernel's blocks of 4.
    static let shapes: [(Int, Int, Int, Int, Int)] = [
        (16, 16, 2, 8, 8), (1, 1, 1, 1, 1), (5, 1, 2, 3, 4), (16, 17, 2, 8, 8), (3, 17, 1, 5, 9),
        (7, 16, 3, 5, 13), (4, 8, 2, 8, 16), (9, 9, 1, 7, 7), (17, 15, 2, 4, 12), (2, 12, 4, 16, 24),
    ]

    @Test(
        "attention: the AVX2 kernel, the register rows and the dispatcher each equal double precision",
        arguments: shapes)
    func attention(tq: Int, tv: Int, heads: Int, kd: Int, vd: Int) {
        let d = AttentionDims(rows: 3, tq: tq, tv: tv, heads: heads, kd: kd, vd: vd)
        var rng = SplitMix(state: UInt64(tq * 10_000 + tv * 1000 + heads * 100 + kd * 10 + vd))
        let q = rng.floats(d.rows * tq * d.qkWidth, -3, 3)
        let k = rng.floats(d.rows * tv * d.qkWidth, -3, 3)
        let v = rng.floats(d.rows * tv * d.vWidth, -1, 1)
        let (wantP, wantC) = Self.reference(q: q, k: k, v: v, d)
        func check(_ name: String, _ run: (inout [Float], inout [Float]) -> Void) -> ([Float], [Float]) {
            var probs = [Float](repeating: .nan, count: d.rows * d.probsPerRow)
            var c = [Float](repeating: .nan, count: d.rows * tq * d.vWidth)
            run(&probs, &c)
            let pErr = zip(probs, wantP).map { abs(Double($0) - $1) }.max() ?? .infinity
            let cErr = zip(c, wantC).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(pErr <= 2e-6 && !pErr.isNaN, "\(name): probabilities off by \(pErr)")
            #expect(cErr <= 3e-6 && !cErr.isNaN, "\(name): contexts off by \(cErr)")
            return (probs, c)
        }
        let dispatched = check("attend") { p, c in AttentionKernels.attend(q: q, k: k, v: v, probs: &p, c: &c, d) }
        guard AttentionKernels.usesShortRows(d) else { return }
        let avx = check("AVX2 kernel") { p, c in
            var scratch = [Float](repeating: .nan, count: VectorKernels.shortRowScratchCount(d))
            VectorKernels.attendShortRows(q: q, k: k, v: v, probs: &p, c: &c, scratch: &scratch, d)
        }
        var bare = [Float](repeating: .nan, count: d.rows * tq * d.vWidth)
        var scratch = [Float](repeating: .nan, count: VectorKernels.shortRowScratchCount(d))
        VectorKernels.attendShortRows(q: q, k: k, v: v, probs: nil, c: &bare, scratch: &scratch, d)
        #expect(bare == avx.1, "the contexts do not depend on storing the probabilities")
        let portable = check("register rows") { p, c in
            var scratch = [Float](repeating: .nan, count: AttentionKernels.shortRowScratchCount(d))
            AttentionKernels.attendShortRows(q: q, k: k, v: v, probs: &p, c: &c, scratch: &scratch, d)
        }
        #expect(dispatched.0 == avx.0 && dispatched.1 == avx.1, "attend runs the AVX2 kernel")
        // Same formulas in float32, rounded in another order: probabilities (≤ 1) within 1e-6 of
        // each other, contexts (|c| ≤ 1, a sum of up to 16 rounded products) within 2e-6.
        let pGap = zip(avx.0, portable.0).map { abs($0 - $1) }.max() ?? .infinity
        let cGap = zip(avx.1, portable.1).map { abs($0 - $1) }.max() ?? .infinity
        #expect(pGap <= 1e-6, "probabilities: the kernels differ by \(pGap)")
        #expect(cGap <= 2e-6, "contexts: the kernels differ by \(cGap)")
    }

    @Test("GELU: the AVX2 kernel equals the portable one and the double formula, every tail length")
    func gelu() {
        let edges: [Float] = [0, -0.0, 4, -4, 3.999, -3.999, 10, -10, 1e-20, -1e-20, 1e6, -1e6, 0.5, -0.5]
        let z = FastKernelTests.grid(-7, 7, 4001) + edges
        for count in [1, 7, 8, 9, 15, 16, 17, 33, z.count] {
            let x = Array(z.suffix(count))
            var avx = [Float](repeating: .nan, count: count)
            var portable = avx
            VectorKernels.gelu(x, into: &avx, count: count)
            Activation.geluPortable(x, into: &portable, count: count)
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer {
                VectorKernels.gelu($0.baseAddress!, into: $0.baseAddress!, count: count)
            }
            #expect(inPlace == avx, "in place, \(count) values")
            for (i, f) in x.enumerated() {
                let s = Double(f)
                let want = s * 0.5 * (1 + Foundation.erf(s / 2.0.squareRoot()))
                #expect(abs(Double(avx[i]) - want) <= 1e-6 * (1 + abs(s)), "gelu(\(s)) = \(avx[i]), want \(want)")
                #expect(abs(avx[i] - portable[i]) <= 4e-7 * (1 + abs(f)), "gelu(\(s)): \(avx[i]) vs \(portable[i])")
            }
        }
    }

    @Test(
        "layer normalization of 16-wide vectors: the AVX2 kernel equals the register-row kernel", arguments: [1, 5, 64])
    func layerNormalization16(vectors: Int) {
        var rng = SplitMix(state: UInt64(100 + vectors))
        var x = rng.floats(vectors * 16, -2, 5)
        for i in 0..<16 { x[i] = 1.25 }  // a constant vector: x̂ = 0, 1/σ = 1/√ε
        let gamma = rng.floats(16, 0.5, 1.5)
        let beta = rng.floats(16, -1, 1)
        var out = (avx: [Float](repeating: .nan, count: x.count), portable: [Float](repeating: .nan, count: x.count))
        var xhat = out
        var inverse = (
            avx: [Float](repeating: .nan, count: vectors), portable: [Float](repeating: .nan, count: vectors)
        )
        var bare = out.avx
        VectorKernels.layerNorm16(
            x, count: vectors, epsilon: 1e-3, gamma: gamma, beta: beta, xhat: &xhat.avx, inverse: &inverse.avx,
            into: &out.avx)
        VectorKernels.layerNorm16(
            x, count: vectors, epsilon: 1e-3, gamma: gamma, beta: beta, xhat: nil, inverse: nil, into: &bare)
        LayerNormalizationOp.normalizeRows16(
            x, count: vectors, epsilon: 1e-3, gamma: gamma, beta: beta, xhat: &xhat.portable,
            inverse: &inverse.portable, into: &out.portable)
        #expect(bare == out.avx, "the output does not depend on keeping x̂")
        #expect(abs(inverse.avx[0] - 1 / Float(1e-3).squareRoot()) <= 1e-6 * inverse.avx[0])
        #expect(xhat.avx.prefix(16).allSatisfy { $0 == 0 })
        for v in 0..<vectors {
            #expect(abs(inverse.avx[v] - inverse.portable[v]) <= 1e-6 * inverse.portable[v], "1/σ of vector \(v)")
        }
        // x̂ within |x̂| ≤ 4 and y = γ x̂ + β: a few float32 roundings of values of that size.
        #expect(zip(xhat.avx, xhat.portable).allSatisfy { abs($0 - $1) <= 2e-6 * (1 + abs($1)) })
        #expect(zip(out.avx, out.portable).allSatisfy { abs($0 - $1) <= 2e-6 * (1 + abs($1)) })
    }
}
