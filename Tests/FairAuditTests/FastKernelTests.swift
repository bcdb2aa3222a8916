import Foundation
import Testing

@testable import FairAudit

/// The vectorizable float32 functions and small products the transformer
/// layers run on, against double-precision libm and plain loops; and the
/// Fisher pass's reuse of the deltas `backwardInputs` kept.
@Suite struct FastKernelTests {
    /// `count` points evenly spaced over `[lo, hi]`.
    static func grid(_ lo: Double, _ hi: Double, _ count: Int) -> [Float] {
        (0..<count).map { Float(lo + (hi - lo) * Double($0) / Double(count - 1)) }
    }

    @Test("FastMath.erf is within 6e-7 of erf, FastMath.exp within 2e-7 relative of exp, FastMath.tanh within 3e-7")
    func fastMathAccuracy() {
        var worst = (erf: 0.0, exp: 0.0, tanh: 0.0)
        for x in Self.grid(-6, 6, 200_001) {
            worst.erf = max(worst.erf, abs(Double(FastMath.erf(x)) - Foundation.erf(Double(x))))
            worst.tanh = max(worst.tanh, abs(Double(FastMath.tanh(x)) - Foundation.tanh(Double(x))))
        }
        for x in Self.grid(-87, 88, 200_001) {
            let want = Foundation.exp(Double(x))
            worst.exp = max(worst.exp, abs(Double(FastMath.exp(x)) - want) / want)
        }
        #expect(worst.erf <= 6e-7, "erf: \(worst.erf)")
        #expect(worst.exp <= 2e-7, "exp: \(worst.exp)")
        #expect(worst.tanh <= 3e-7, "tanh: \(worst.tanh)")
        #expect(FastMath.exp(-200) == 0 || FastMath.exp(-200) < 1e-37)
        #expect(FastMath.exp(200).isFinite && FastMath.exp(200) > 1e38)
        #expect(FastMath.erf(9) == 1 && FastMath.erf(-9) == -1 && FastMath.tanh(30) == 1)
    }

    @Test("exact and tanh GELU and their derivatives over a buffer equal the double-precision formulas")
    func geluBuffers() {
        let z = Self.grid(-7, 7, 4001)
        var exact = z
        var approx = z
        var dExact = [Float](repeating: 1, count: z.count)
        var dApprox = dExact
        exact.withUnsafeMutableBufferPointer { Activation.geluInPlace($0.baseAddress!, count: z.count) }
        approx.withUnsafeMutableBufferPointer { Activation.geluTanhInPlace($0.baseAddress!, count: z.count) }
        z.withUnsafeBufferPointer { pz in
            dExact.withUnsafeMutableBufferPointer {
                Activation.geluBackwardInPlace($0.baseAddress!, z: pz.baseAddress!, count: z.count)
            }
            dApprox.withUnsafeMutableBufferPointer {
                Activation.geluTanhBackwardInPlace($0.baseAddress!, z: pz.baseAddress!, count: z.count)
            }
        }
        let c = 0.7978845608028654
        for (i, f) in z.enumerated() {
            let x = Double(f)
            let cdf = 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
            let pdf = Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
            let dt = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
            #expect(abs(Double(exact[i]) - x * cdf) <= 1e-6 * (1 + abs(x)), "gelu(\(x))")
            #expect(abs(Double(approx[i]) - 0.5 * x * (1 + t)) <= 1e-6 * (1 + abs(x)), "gelu_tanh(\(x))")
            #expect(abs(Double(dExact[i]) - (cdf + x * pdf)) <= 2e-6, "gelu′(\(x))")
            #expect(abs(Double(dApprox[i]) - dt) <= 2e-6 * (1 + x * x), "gelu_tanh′(\(x))")
        }
    }

    @Test(
        "SmallProduct.combine equals a triple loop, strided and transposed, widths off the vector size",
        arguments: [(3, 5, 16), (7, 4, 13), (2, 9, 8), (5, 1, 3), (4, 6, 21)])
    func combine(m: Int, n: Int, w: Int) {
        var rng = SplitMix(state: UInt64(m * 100 + n * 10 + w))
        let a = rng.floats(m * n * 2, -1, 1)  // rows 2n apart, read transposed below
        let b = rng.floats(n * (w + 3), -1, 1)  // rows w + 3 apart
        let start = rng.floats(m * (w + 2), -1, 1)
        for (transposed, accumulate) in [(false, false), (true, true)] {
            var out = start
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        let view =
                            transposed
                            ? MatrixView(pa.baseAddress!, rowStride: 1, columnStride: m)
                            : MatrixView(pa.baseAddress!, rowStride: 2 * n)
                        SmallProduct.combine(
                            view, m: m, n: n, alpha: 0.5, pb.baseAddress!, ldb: w + 3, width: w,
                            into: po.baseAddress!, ldo: w + 2, accumulate: accumulate)
                    }
                }
            }
            for i in 0..<m {
                for e in 0..<(w + 2) {
                    var want = Double(start[i * (w + 2) + e])
                    if e < w {
                        var sum = 0.0
                        for j in 0..<n {
                            let aij = transposed ? a[j * m + i] : a[i * 2 * n + j]
                            sum += Double(aij) * Double(b[j * (w + 3) + e])
                        }
                        want = (accumulate ? want : 0) + 0.5 * sum
                    }
                    #expect(abs(Double(out[i * (w + 2) + e]) - want) <= 1e-5, "\(i), \(e)")
                }
            }
        }
    }

    /// The layers whose Fisher accumulation reuses what `backwardInputs` kept.
    static let reuseCases: [LayerCase] =
        AttentionLayerTests.cases.filter { $0.op is MultiHeadAttentionOp }
        + LayerCase.all.filter { $0.op is DenseOp }

    @Test(
        "after backwardInputs the Fisher adds what it adds alone, and backwardInputs equals backward",
        arguments: reuseCases)
    func reuseAfterBackwardInputs(c: LayerCase) throws {
        let (inputs, p) = LayerGradientTests.setup(c)
        var out = Batch()
        var cache = LayerCache()
        c.op.forward(inputs, p, output: &out, cache: &cache)
        var rng = SplitMix(state: 41)
        let rows = LayerGradientTests.rows
        let roles = c.params.keys.sorted().filter { $0.isTrainable }
        let weights = Membership(rows: rows, columns: 2, weights: rng.floats(rows * 2, 0.1, 1))
        let sizes = roles.map { p[$0].count }
        func fisher(_ g: Batch, afterInputs: Bool) -> [[Double]] {
            var grads = inputs.map { _ in Batch() }
            var has = inputs.map { _ in false }
            if afterInputs {
                c.op.backwardInputs(g, inputs, p, cache: cache, into: &grads, hasGradient: &has)
                let want = c.op.backward(g, inputs, p, cache: cache, needInputs: true, wantParams: false).inputs
                for k in inputs.indices {
                    guard let w = want[k] else { continue }
                    #expect(has[k] && grads[k].shape == w.shape, "\(c) input \(k)")
                    for (x, y) in zip(grads[k].data, w.data) { #expect(abs(x - y) <= 1e-5 * (1 + abs(y))) }
                }
            }
            let sums = FisherSums(counts: sizes, columns: 2)
            c.op.accumulateSquaredSampleGrads(
                g, inputs, p, cache: cache, roles: roles, weights: weights,
                into: roles.indices.map { sums.pointer(slot: $0, column: 0) })
            return roles.indices.flatMap { k in (0..<2).map { sums.values(slot: k, column: $0).map(Double.init) } }
        }
        let g1 = Batch(rows: rows, shape: out.shape, data: rng.floats(out.data.count, -1, 1))
        let g2 = Batch(rows: rows, shape: out.shape, data: rng.floats(out.data.count, -1, 1))
        let alone = fisher(g1, afterInputs: false)
        #expect(fisher(g1, afterInputs: true) == alone, "\(c): the kept deltas are the same computation")
        // Deltas kept for another gradient are not reused.
        var grads = inputs.map { _ in Batch() }
        var has = inputs.map { _ in false }
        c.op.backwardInputs(g2, inputs, p, cache: cache, into: &grads, hasGradient: &has)
        #expect(fisher(g1, afterInputs: false) == alone, "\(c): deltas kept for another gradient were reused")
        #expect(fisher(g2, afterInputs: false) != alone, "\(c): a different gradient gives a different Fisher")
    }
}
