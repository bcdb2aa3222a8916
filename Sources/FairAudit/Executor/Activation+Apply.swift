import Foundation

/// Element-wise forward values and derivatives of each activation, in float32.
extension Activation {
    /// SELU's scale λ and α (Klambauer et al. 2017, as Keras uses them).
    static let seluScale: Float = 1.0507009873554805
    static let seluAlpha: Float = 1.6732632423543772

    /// `f(z)` for every element; softmax over each row of `width` elements.
    func apply(_ z: [Float], width: Int, slope: Float) -> [Float] {
        var a = z
        applyInPlace(&a, width: width, slope: slope)
        return a
    }

    /// `a ← f(a)` element-wise (softmax per row of `width`).
    func applyInPlace(_ a: inout [Float], width: Int, slope: Float) {
        let n = a.count
        a.withUnsafeMutableBufferPointer { p in
            guard let a = p.baseAddress else { return }
            switch self {
            case .linear: break
            case .relu: for i in 0..<n { a[i] = Swift.max(a[i], 0) }  // branch-free, vectorizes
            case .sigmoid: for i in 0..<n { a[i] = Activation.fastSigmoid(a[i]) }
            case .tanh: for i in 0..<n { a[i] = FastMath.tanh(a[i]) }
            case .gelu: Activation.geluInPlace(a, count: n)  // exact: z · Φ(z) = ½ z (1 + erf(z / √2))
            case .geluTanh: Activation.geluTanhInPlace(a, count: n)
            case .elu:
                for i in 0..<n {
                    let x = a[i]
                    let e = Activation.fastExpm1(x)
                    a[i] = x > 0 ? x : e
                }
            case .selu:
                for i in 0..<n {
                    let x = a[i]
                    let e = Activation.seluScale * Activation.seluAlpha * Activation.fastExpm1(x)
                    a[i] = x > 0 ? Activation.seluScale * x : e
                }
            case .leakyRelu: for i in 0..<n { a[i] = a[i] < 0 ? a[i] * slope : a[i] }
            case .softplus: for i in 0..<n { a[i] = Activation.softplus(a[i]) }
            case .erf: for i in 0..<n { a[i] = Foundation.erf(a[i]) }
            case .swish, .silu: for i in 0..<n { a[i] *= Activation.fastSigmoid(a[i]) }
            case .softmax:
                if width == 2 {
                    Activation.softmaxPairs(a, count: n)
                } else {
                    FastMath.softmaxRows(a, count: n, width: width)
                }
            }
        }
    }

    /// Softmax of rows of two values in place: `(σ(z₀ − z₁), σ(z₁ − z₀))`,
    /// the same quotient with the row's maximum factored out, with no
    /// per-row maximum, sum and loop (which cost more than the arithmetic on
    /// two values).
    static func softmaxPairs(_ a: UnsafeMutablePointer<Float>, count: Int) {
        for r in 0..<(count / 2) {
            let d = a[2 * r + 1] - a[2 * r]
            a[2 * r] = fastSigmoid(-d)
            a[2 * r + 1] = fastSigmoid(d)
        }
    }

    /// `1 / (1 + e^{−z})` as `s = 1 / (1 + e^{−|z|})`, `e^{−|z|}·s` for
    /// negative `z`: ``FastMath/exp(_:)`` and a select, no branch or library
    /// call, so the forward loops vectorize (within 3e-7 relative of the
    /// double-precision value, `FastKernelTests`).
    @inline(__always) static func fastSigmoid(_ z: Float) -> Float {
        let e = FastMath.exp(-Swift.abs(z))
        let s = 1 / (1 + e)
        return z >= 0 ? s : e * s
    }

    /// `eˣ − 1` for `x ≤ 0` (ELU and SELU's negative side; a positive `x`
    /// is read as 0): Taylor's series to `x⁸` where `x > −½` (truncation
    /// below 2e-8 relative; `eˣ − 1` there loses the low digits),
    /// ``FastMath/exp(_:)`` minus one below, chosen by a select (within 5e-7
    /// relative of `expm1`, `ActivationForwardTests`).
    @inline(__always) static func fastExpm1(_ x: Float) -> Float {
        let t = Swift.min(x, 0)
        var p: Float = 1 / 40320
        p = p * t + 1 / 5040
        p = p * t + 1 / 720
        p = p * t + 1 / 120
        p = p * t + 1 / 24
        p = p * t + 1 / 6
        p = p * t + 0.5
        p = p * t + 1
        let near = p * t
        let far = FastMath.exp(t) - 1
        return t > -0.5 ? near : far
    }

    /// `g ⊙ f′(z)`: the gradient with respect to `z` given `g` with respect
    /// to `f(z)`; for softmax `a ⊙ (g − Σⱼ aⱼ gⱼ)` per row.
    func backward(_ g: [Float], z: [Float], width: Int, slope: Float) -> [Float] {
        var d = g
        backwardInPlace(&d, z: z, width: width, slope: slope)
        return d
    }

    /// `d ← d ⊙ f′(z)` (softmax: `a ⊙ (d − Σⱼ aⱼ dⱼ)` per row).
    func backwardInPlace(_ d: inout [Float], z: [Float], width: Int, slope: Float) {
        if self == .linear { return }
        precondition(d.count == z.count, "\(d.count) gradients for \(z.count) pre-activations")
        let n = d.count
        var soft = self == .softmax ? z : []
        d.withUnsafeMutableBufferPointer { pd in
            z.withUnsafeBufferPointer { pz in
                guard let d = pd.baseAddress, let z = pz.baseAddress else { return }
                switch self {
                case .linear: break
                case .relu: Activation.reluBackward(d, z: z, count: n)
                case .sigmoid:
                    for i in 0..<n {
                        let s = Activation.sigmoid(z[i])
                        d[i] *= s * (1 - s)
                    }
                case .tanh:
                    for i in 0..<n {
                        let t = Foundation.tanh(z[i])
                        d[i] *= 1 - t * t
                    }
                case .gelu: Activation.geluBackwardInPlace(d, z: z, count: n)  // Φ(z) + z φ(z)
                case .geluTanh: Activation.geluTanhBackwardInPlace(d, z: z, count: n)
                case .elu: for i in 0..<n where z[i] <= 0 { d[i] *= exp(z[i]) }
                case .selu:
                    for i in 0..<n {
                        d[i] *=
                            z[i] > 0 ? Activation.seluScale : Activation.seluScale * Activation.seluAlpha * exp(z[i])
                    }
                case .leakyRelu: for i in 0..<n { d[i] = z[i] < 0 ? d[i] * slope : d[i] }
                case .softplus: for i in 0..<n { d[i] *= Activation.sigmoid(z[i]) }
                case .erf: for i in 0..<n { d[i] *= 1.1283791670955126 * exp(-z[i] * z[i]) }  // 2/√π e^{−z²}
                case .swish, .silu:
                    for i in 0..<n {
                        let s = Activation.sigmoid(z[i])
                        d[i] *= s + z[i] * s * (1 - s)
                    }
                case .softmax:
                    soft.withUnsafeMutableBufferPointer { pa in
                        guard let a = pa.baseAddress, width > 0 else { return }
                        Activation.softmaxRows(a, count: n, width: width)
                        for r in 0..<(n / width) {
                            let b = r * width
                            var dot: Float = 0
                            for j in 0..<width { dot += a[b + j] * d[b + j] }
                            for j in 0..<width { d[b + j] = a[b + j] * (d[b + j] - dot) }
                        }
                    }
                }
            }
        }
    }

    /// `d[i] = 0` where `z[i] ≤ 0`, eight lanes at a time (a blend, not a
    /// data-dependent branch: relu signs are a coin toss for the branch
    /// predictor, and the plain select loop was not vectorized). Halved the
    /// per-group Fisher's CPU time on the Adult MLP.
    @inline(__always) static func reluBackward(_ d: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, count n: Int)
    {
        var i = 0
        while i + 8 <= n {
            let zv = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
            var dv = UnsafeRawPointer(d + i).loadUnaligned(as: SIMD8<Float>.self)
            dv.replace(with: 0, where: zv .<= 0)
            UnsafeMutableRawPointer(d + i).storeBytes(of: dv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            if z[i] <= 0 { d[i] = 0 }
            i += 1
        }
    }

    /// `1 / (1 + e^{−z})`, without overflow for large |z|.
    @inline(__always) static func sigmoid(_ z: Float) -> Float {
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }

    /// `log(1 + e^z) = max(z, 0) + log1p(e^{−|z|})`.
    @inline(__always) static func softplus(_ z: Float) -> Float {
        max(z, 0) + log1p(exp(-abs(z)))
    }

    /// Softmax of each row in place, shifted by the row maximum (libm `exp`:
    /// the loss and output heads; attention uses ``FastMath/softmaxRows``).
    static func softmaxRows(_ a: UnsafeMutablePointer<Float>, count: Int, width: Int) {
        guard width > 0 else { return }
        for r in 0..<(count / width) {
            let base = r * width
            var m = -Float.infinity
            for j in 0..<width { m = max(m, a[base + j]) }
            var sum: Float = 0
            for j in 0..<width {
                let e = exp(a[base + j] - m)
                a[base + j] = e
                sum += e
            }
            for j in 0..<width { a[base + j] /= sum }
        }
    }
}
