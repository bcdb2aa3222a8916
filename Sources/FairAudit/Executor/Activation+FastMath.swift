import Foundation

/// Branch-free float32 `exp`, `erf` and `tanh` for loops over contiguous
/// buffers: no library call and no data-dependent branch, so the compiler
/// vectorizes the loops that use them (the libm calls it replaces ran one
/// element at a time and dominated GELU and softmax).
///
/// Accuracy (checked against the double-precision functions in
/// `FastMathTests`): `exp` within 2e-7 relative on `[−87, 88]` (0 below,
/// finite above); `erf` within 6e-7 absolute (JAX's own float32 `erf` on
/// CPU is within 3e-7); `tanh` within 3e-7 absolute.
enum FastMath {
    /// `eˣ` as Cephes' `expf`: `x = n ln 2 + r`, `|r| ≤ ½ ln 2`, `eʳ` by a
    /// degree-7 polynomial, `2ⁿ` written into the exponent bits. `n` comes
    /// from adding 1.5·2²³ (the float's rounding does the rounding), so no
    /// float-to-integer conversion stops vectorization.
    @inline(__always) static func exp(_ x: Float) -> Float {
        let xc = Swift.min(Swift.max(x, -87.33654), 88.37626)
        let t = xc * 1.44269504088896341 + 12_582_912
        let n = t - 12_582_912
        let r = xc - n * 0.693359375 + n * 2.12194440e-4
        let r2 = r * r
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r2 + r + 1
        // The low bits of t hold n (two's complement): (n + 127) << 23 is 2ⁿ.
        let scale = Float(bitPattern: (t.bitPattern &+ 127) &<< 23)
        return p * scale
    }

    /// `erf(x)` as a rational function `x P(x²) / Q(x²)` on `x` clamped to
    /// `[−4, 4]` (outside it erf is ±1 in float32); the coefficients are
    /// Eigen's and XLA's float32 `erf`.
    @inline(__always) static func erf(_ x: Float) -> Float {
        let xc = Swift.min(Swift.max(x, -4), 4)
        let x2 = xc * xc
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return xc * p / q
    }

    /// `tanh(x) = sign(x) (1 − 2 / (e^{2|x|} + 1))`; |x| clamped to 10 (tanh is 1 in float32 beyond).
    @inline(__always) static func tanh(_ x: Float) -> Float {
        let a = Swift.min(Swift.abs(x), 10)
        let e = exp(2 * a)
        let t = 1 - 2 / (e + 1)
        return x < 0 ? -t : t
    }

    /// Softmax of each row of `width` values in place, shifted by the row maximum.
    static func softmaxRows(_ a: UnsafeMutablePointer<Float>, count: Int, width: Int) {
        guard width > 0 else { return }
        for r in 0..<(count / width) {
            let row = a + r * width
            let m = maximum(row, count: width)
            for j in 0..<width { row[j] = exp(row[j] - m) }
            let inv = 1 / dot(row, nil, count: width)
            for j in 0..<width { row[j] *= inv }
        }
    }

    /// `Σ_i a[i] b[i]` (`b` nil: `Σ_i a[i]`), eight lanes at a time then the
    /// tail: a float sum in a fixed order the compiler will not vectorize by itself.
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, count n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            if let b {
                acc += va * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            } else {
                acc += va
            }
            i += 8
        }
        var sum = total(acc)
        while i < n {
            sum += b.map { a[i] * $0[i] } ?? a[i]
            i += 1
        }
        return sum
    }

    /// `Σ_i (a[i] − c)²`, as ``dot(_:_:count:)``.
    @inline(__always) static func squaredDeviations(_ a: UnsafePointer<Float>, from c: Float, count n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        let vc = SIMD8<Float>(repeating: c)
        var i = 0
        while i + 8 <= n {
            let d = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) - vc
            acc += d * d
            i += 8
        }
        var sum = total(acc)
        while i < n {
            let d = a[i] - c
            sum += d * d
            i += 1
        }
        return sum
    }

    /// The largest of `n > 0` values (NaN-free input), eight lanes at a time.
    @inline(__always) static func maximum(_ a: UnsafePointer<Float>, count n: Int) -> Float {
        var i = 0
        var m = -Float.infinity
        if n >= 8 {
            var acc = UnsafeRawPointer(a).loadUnaligned(as: SIMD8<Float>.self)
            i = 8
            while i + 8 <= n {
                acc = pointwiseMax(acc, UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self))
                i += 8
            }
            m = acc.max()
        }
        while i < n {
            m = Swift.max(m, a[i])
            i += 1
        }
        return m
    }
}
