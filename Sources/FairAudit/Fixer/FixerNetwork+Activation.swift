import Foundation

extension FixerNetwork {
    static let seluScale: Float = 1.0507009873554805
    static let seluAlpha: Float = 1.6732632423543772

    /// `y = f(z)` element-wise (Keras definitions; gelu exact, elu α = 1).
    static func activate(_ z: [Float], _ act: Activation, slope: Float) -> [Float] {
        switch act {
        case .linear: return z
        case .relu: return z.map { $0 > 0 ? $0 : 0 }
        case .leakyRelu: return z.map { $0 > 0 ? $0 : slope * $0 }
        case .sigmoid: return z.map(sigmoid)
        case .tanh: return z.map { Foundation.tanh($0) }
        case .elu: return z.map { $0 > 0 ? $0 : Foundation.expm1($0) }
        case .selu: return z.map { $0 > 0 ? seluScale * $0 : seluScale * seluAlpha * Foundation.expm1($0) }
        case .softplus: return z.map { $0 > 0 ? $0 + Foundation.log1p(Foundation.exp(-$0)) : Foundation.log1p(Foundation.exp($0)) }
        case .swish, .silu: return z.map { $0 * sigmoid($0) }
        case .gelu: return z.map(gelu)
        case .softmax: return z // rejected at build time except as the head
        }
    }

    /// `dz = dy ⊙ f'(z)`, given the input `z` and output `y`.
    static func activationBackward(_ dy: [Float], z: [Float], y: [Float], _ act: Activation, slope: Float) -> [Float] {
        var dz = dy
        switch act {
        case .linear, .softmax: return dz
        case .relu:
            dz.withUnsafeMutableBufferPointer { d in z.withUnsafeBufferPointer { z in
                for i in 0..<min(d.count, z.count) { d[i] = z[i] > 0 ? d[i] : 0 }
            } }
            return dz
        default: break
        }
        for i in 0..<dz.count {
            let d: Float
            switch act {
            case .linear, .softmax: d = 1
            case .relu: d = z[i] > 0 ? 1 : 0
            case .leakyRelu: d = z[i] > 0 ? 1 : slope
            case .sigmoid: d = y[i] * (1 - y[i])
            case .tanh: d = 1 - y[i] * y[i]
            case .elu: d = z[i] > 0 ? 1 : y[i] + 1
            case .selu: d = z[i] > 0 ? seluScale : y[i] + seluScale * seluAlpha
            case .softplus: d = sigmoid(z[i])
            case .swish, .silu: let s = sigmoid(z[i]); d = s + z[i] * s * (1 - s)
            case .gelu:
                d = geluDerivative(z[i])
            }
            dz[i] *= d
        }
        return dz
    }

    /// `gelu(x) = x Φ(x) = ½ x (1 + erf(x/√2))`.
    static func gelu(_ x: Float) -> Float {
        let phi: Float = 0.5 * (1 + Foundation.erf(x * 0.70710678))
        return x * phi
    }

    /// `gelu'(x) = Φ(x) + x φ(x)`.
    static func geluDerivative(_ x: Float) -> Float {
        let cdf: Float = 0.5 * (1 + Foundation.erf(x * 0.70710678))
        let pdf: Float = Foundation.exp(-0.5 * x * x) * 0.39894228
        return cdf + x * pdf
    }

    /// `σ(z) = 1 / (1 + e^{−z})`, computed without overflow.
    static func sigmoid(_ z: Float) -> Float {
        z >= 0 ? 1 / (1 + Foundation.exp(-z)) : { let e = Foundation.exp(z); return e / (1 + e) }()
    }
}
