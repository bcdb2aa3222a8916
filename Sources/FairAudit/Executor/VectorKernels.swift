import CKernels
import Foundation

/// The AVX2 + FMA forms (C target `CKernels`, compiled with function target
/// attributes, no build flags) of the transformer block's float kernels:
/// GELU, layer normalization over vectors of 16 and attention over at most
/// 16 keys. Eight lanes and fused multiply-adds where the portable Swift
/// kernels run on four (Swift's SIMD types lower to SSE2 without target
/// flags). They run only when the CPU has AVX2 and FMA and the environment
/// variable `FAIRAUDIT_PORTABLE_KERNELS` is unset; the formulas are the
/// Swift kernels', the rounding differs by the fused multiply-adds
/// (`VectorKernelTests` bound the difference).
enum VectorKernels {
    /// True when the CPU executes AVX2 and FMA and the portable kernels are not asked for.
    static let available: Bool = fa_has_avx2_fma() != 0 && getenv("FAIRAUDIT_PORTABLE_KERNELS") == nil

    /// Exact GELU `a = ½ z (1 + erf(z/√2))` over `count` values (`a` may be `z`).
    @inline(__always) static func gelu(_ z: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, count: Int) {
        fa_gelu_avx2(z, a, count)
    }

    /// ``LayerNormalizationOp/normalizeRows16(_:count:epsilon:gamma:beta:xhat:inverse:into:)``.
    @inline(__always) static func layerNorm16(
        _ x: UnsafePointer<Float>, count n: Int, epsilon: Float, gamma: UnsafePointer<Float>,
        beta: UnsafePointer<Float>, xhat: UnsafeMutablePointer<Float>?, inverse: UnsafeMutablePointer<Float>?,
        into out: UnsafeMutablePointer<Float>
    ) {
        fa_layer_norm16_avx2(x, n, epsilon, gamma, beta, xhat, inverse, out)
    }

    /// Scratch values ``attendShortRows(q:k:v:probs:c:scratch:_:)`` needs.
    static func shortRowScratchCount(_ d: AttentionDims) -> Int { d.kd * AttentionKernels.shortRowKeys + 8 }

    /// ``AttentionKernels/attendShortRows(q:k:v:probs:c:scratch:_:)`` (`1 ≤ tv ≤ 16`); `probs` nil:
    /// the probabilities are not stored. Each block of up to 16 queries keeps its rows'
    /// exponentials and divides by their sums two registers at a time, the context
    /// normalized once per row instead of every probability before the product.
    @inline(__always) static func attendShortRows(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafeMutablePointer<Float>?, c: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, _ d: AttentionDims
    ) {
        fa_attend_short_avx2(q, k, v, probs, c, d.rows, d.tq, d.tv, d.heads, d.kd, d.vd, scratch)
    }
}
