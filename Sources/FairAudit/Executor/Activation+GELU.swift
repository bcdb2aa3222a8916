import Foundation

/// GELU, exact (`z Φ(z)`, Keras' default) and its tanh approximation (as
/// Keras' `gelu(x, approximate=True)` and `jax.nn.gelu` compute it), over
/// contiguous buffers with ``FastMath``'s vectorizable `erf`, `exp` and `tanh`
/// (the exact forward through ``VectorKernels`` where the CPU has AVX2).
extension Activation {
    /// `√(2/π)`.
    static let geluTanhScale: Float = 0.7978845608028654
    /// The cubic coefficient of the approximation.
    static let geluTanhCubic: Float = 0.044715

    /// Exact GELU `½ z (1 + erf(z/√2))` over `count` values in place.
    static func geluInPlace(_ a: UnsafeMutablePointer<Float>, count n: Int) {
        if VectorKernels.available { return VectorKernels.gelu(a, into: a, count: n) }
        geluPortable(a, into: a, count: n)
    }

    /// Exact GELU of `count` values of `z` written to `a` (a dense layer's output from its kept `z`).
    static func gelu(_ z: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, count n: Int) {
        if VectorKernels.available { return VectorKernels.gelu(z, into: a, count: n) }
        geluPortable(z, into: a, count: n)
    }

    /// ``gelu(_:into:count:)`` in Swift alone (``VectorKernels`` off); `a` may be `z`.
    static func geluPortable(_ z: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let x = z[i]
            a[i] = 0.5 * x * (1 + FastMath.erf(x * 0.70710678118654752))
        }
    }

    /// `d ← d (Φ(z) + z φ(z))`: the exact GELU's derivative, over `count` values.
    static func geluBackwardInPlace(_ d: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n {
            let x = z[i]
            let cdf = 0.5 * (1 + FastMath.erf(x * 0.70710678118654752))
            d[i] *= cdf + x * FastMath.exp(-0.5 * x * x) * 0.3989422804014327
        }
    }

    /// GELU's tanh approximation `½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))` in place.
    static func geluTanhInPlace(_ a: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let z = a[i]
            let u = geluTanhScale * (z + geluTanhCubic * z * z * z)
            a[i] = 0.5 * z * (1 + FastMath.tanh(u))
        }
    }

    /// `d ← d · gelu_tanh′(z)`.
    static func geluTanhBackwardInPlace(_ d: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n {
            let x = z[i]
            let t = FastMath.tanh(geluTanhScale * (x + geluTanhCubic * x * x * x))
            let du = geluTanhScale * (1 + 3 * geluTanhCubic * x * x)
            d[i] *= 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        }
    }
}
