import Foundation
import Testing

@testable import FairAudit

/// The register-row kernels of short sequences: the softmax's `exp`,
/// attention over at most 16 keys and layer normalization of 16-wide
/// vectors, against double-precision formulas.
extension FastKernelTests {
    @Test("FastMath.expNonPositive is within 7e-7 relative of exp on [−10, 0] and 4e-6 down to −87")
    func expNonPositiveAccuracy() {
        var worst = (near: 0.0, far: 0.0)
        for x in Self.grid(-87, 0, 400_001) {
            let got = Double(FastMath.expNonPositive(SIMD16(repeating: x))[5])
            let error = abs(got / Foundation.exp(Double(x)) - 1)
            if x >= -10 { worst.near = max(worst.near, error) } else { worst.far = max(worst.far, error) }
        }
        #expect(worst.near <= 7e-7, "[−10, 0]: \(worst.near)")
        #expect(worst.far <= 4e-6, "[−87, −10): \(worst.far)")
        #expect(FastMath.expNonPositive(SIMD16(repeating: 0))[0] == 1)
        let tiny = FastMath.expNonPositive(SIMD16(repeating: -1000))[0]
        #expect(tiny >= 0 && tiny < 1e-37)
    }

    @Test(
        "attention over at most 16 keys in register rows equals double-precision softmax attention",
        arguments: [(16, 16, 2, 8, 8), (5, 7, 3, 4, 6), (16, 9, 2, 8, 8), (3, 1, 1, 2, 13), (17, 16, 2, 5, 9)])
    func shortRowAttention(tq: Int, tv: Int, heads: Int, kd: Int, vd: Int) {
        let d = AttentionDims(rows: 3, tq: tq, tv: tv, heads: heads, kd: kd, vd: vd)
        var rng = SplitMix(state: UInt64(tq * 1000 + tv * 100 + kd * 10 + vd))
        let q = rng.floats(d.rows * tq * d.qkWidth, -3, 3)
        let k = rng.floats(d.rows * tv * d.qkWidth, -3, 3)
        let v = rng.floats(d.rows * tv * d.vWidth, -1, 1)
        var probs = [Float](repeating: .nan, count: d.rows * d.probsPerRow)
        var c = [Float](repeating: .nan, count: d.rows * tq * d.vWidth)
        var scratch = [Float](repeating: .nan, count: AttentionKernels.shortRowScratchCount(d))
        #expect(AttentionKernels.usesShortRows(d))
        AttentionKernels.attendShortRows(q: q, k: k, v: v, probs: &probs, c: &c, scratch: &scratch, d)
        for b in 0..<d.rows {
            for h in 0..<heads {
                for i in 0..<tq {
                    let s = (0..<tv).map { j in
                        (0..<kd).reduce(0.0) { acc, e in
                            acc + Double(q[(b * tq + i) * d.qkWidth + h * kd + e])
                                * Double(k[(b * tv + j) * d.qkWidth + h * kd + e])
                        }
                    }
                    let m = s.max() ?? 0
                    let ex = s.map { Foundation.exp($0 - m) }
                    let sum = ex.reduce(0, +)
                    for j in 0..<tv {
                        let got = Double(probs[((b * heads + h) * tq + i) * tv + j])
                        #expect(abs(got - ex[j] / sum) <= 2e-6, "p[\(b), \(h), \(i), \(j)]")
                    }
                    for e in 0..<vd {
                        let want = (0..<tv).reduce(0.0) {
                            $0 + ex[$1] / sum * Double(v[(b * tv + $1) * d.vWidth + h * vd + e])
                        }
                        let got = Double(c[(b * tq + i) * d.vWidth + h * vd + e])
                        #expect(abs(got - want) <= 3e-6, "c[\(b), \(i), \(h), \(e)]")
                    }
                }
            }
        }
    }

    @Test("layer normalization of 16-wide vectors equals the double-precision formula", arguments: [1, 7, 64])
    func layerNormalization16(vectors: Int) {
        var rng = SplitMix(state: UInt64(vectors))
        let x = rng.floats(vectors * 16, -2, 5)
        let gamma = rng.floats(16, 0.5, 1.5)
        let beta = rng.floats(16, -1, 1)
        let op = LayerNormalizationOp(epsilon: 1e-3)
        var out = Batch()
        var cache = LayerCache()
        op.forward(
            [Batch(rows: 1, shape: [vectors, 16], data: x)], LayerParams(values: [.gamma: gamma, .beta: beta]),
            output: &out, cache: &cache)
        for v in 0..<vectors {
            let r = (0..<16).map { Double(x[v * 16 + $0]) }
            let mean = r.reduce(0, +) / 16
            let variance = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 16
            let inv = 1 / (variance + 1e-3).squareRoot()
            #expect(abs(Double(cache.stats[v]) - inv) <= 1e-6 * inv, "1/σ of vector \(v)")
            for i in 0..<16 {
                let xhat = (r[i] - mean) * inv
                #expect(abs(Double(cache.pre[v * 16 + i]) - xhat) <= 1e-6 * (1 + abs(xhat)), "x̂[\(v), \(i)]")
                let want = xhat * Double(gamma[i]) + Double(beta[i])
                #expect(abs(Double(out.data[v * 16 + i]) - want) <= 2e-6 * (1 + abs(want)), "y[\(v), \(i)]")
            }
        }
    }
}

extension FastKernelTests {
    @Test("exact GELU written from a kept buffer equals the double-precision formula")
    func geluFromBuffer() {
        let z = Self.grid(-7, 7, 4001)
        var a = [Float](repeating: .nan, count: z.count)
        z.withUnsafeBufferPointer { pz in
            a.withUnsafeMutableBufferPointer { Activation.gelu(pz.baseAddress!, into: $0.baseAddress!, count: z.count) }
        }
        for (i, f) in z.enumerated() {
            let x = Double(f)
            let want = x * 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
            #expect(abs(Double(a[i]) - want) <= 1e-6 * (1 + abs(x)), "gelu(\(x))")
        }
    }
}
