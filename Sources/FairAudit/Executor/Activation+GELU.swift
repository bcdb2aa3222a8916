import Foundation

/// GELU's tanh approximation, as Keras' `gelu(x, approximate=True)` and
/// `jax.nn.gelu` compute it.
extension Activation {
    /// `√(2/π)`.
    static let geluTanhScale: Float = 0.7978845608028654
    /// The cubic coefficient of the approximation.
    static let geluTanhCubic: Float = 0.044715

    /// `½ z (1 + tanh(√(2/π) (z + 0.044715 z³)))`.
    @inline(__always) static func geluTanh(_ z: Float) -> Float {
        let u = geluTanhScale * (z + geluTanhCubic * z * z * z)
        return 0.5 * z * (1 + Foundation.tanh(u))
    }

    /// `d/dz`: `½ (1 + t) + ½ z (1 − t²) √(2/π) (1 + 3·0.044715 z²)`, `t = tanh(u)`.
    @inline(__always) static func geluTanhDerivative(_ z: Float) -> Float {
        let t = Foundation.tanh(geluTanhScale * (z + geluTanhCubic * z * z * z))
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * geluTanhScale * (1 + 3 * geluTanhCubic * z * z)
    }
}
