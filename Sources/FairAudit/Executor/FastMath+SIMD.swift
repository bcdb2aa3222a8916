import Foundation

/// ``FastMath`` on whole registers: a softmax's `exp` over sixteen lanes and
/// the lane reductions (largest, sum), written on concrete SIMD types with the
/// operators that lower to single vector instructions. The standard
/// library's generic `pointwiseMax` and `SIMD.max()`/`sum()` were compiled
/// as out-of-line calls in the softmax of short rows and cost as much as
/// the arithmetic.
extension FastMath {
    /// `max(a, b)` lane by lane (NaN-free input): one `maxps` (the same select on
    /// eight lanes compiled to integer compares and blends).
    @inline(__always) static func lanesMax(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        a.replacing(with: b, where: a .< b)
    }

    /// The largest lane of `v` in every lane (NaN-free input): two
    /// half-swaps and maxima, no trip through scalars.
    @inline(__always) static func largest(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let a = lanesMax(
            lanesMax(v.lowHalf.lowHalf, v.lowHalf.highHalf), lanesMax(v.highHalf.lowHalf, v.highHalf.highHalf))
        let b = lanesMax(a, SIMD4(a[2], a[3], a[0], a[1]))
        let m = lanesMax(b, SIMD4(b[1], b[0], b[3], b[2]))
        let h = SIMD8(lowHalf: m, highHalf: m)
        return SIMD16(lowHalf: h, highHalf: h)
    }

    /// `Σ` of the lanes of `v`, pairwise.
    @inline(__always) static func total(_ v: SIMD16<Float>) -> Float {
        total(v.lowHalf + v.highHalf)
    }

    /// `Σ` of the lanes of `v`, pairwise.
    @inline(__always) static func total(_ v: SIMD8<Float>) -> Float {
        let q = v.lowHalf + v.highHalf
        return (q[0] + q[2]) + (q[1] + q[3])
    }

    /// `eˣ` for `x ≤ 0` in every lane, as a softmax shifted by its maximum needs it:
    /// `y = x log₂e`, `eˣ = 2ⁿ · 2ᶠ` with `n = round(y)`, `f = y − n`, `|f| ≤ ½`,
    /// and `2ᶠ` by a degree-5 polynomial with constant term 1 (so `e⁰ = 1`;
    /// fitted for least maximum relative error on `[−½, ½]`: 9.1e-8, 1.9e-7
    /// evaluated in float32), `2ⁿ` written
    /// into the exponent bits. Eight operations fewer per lane than
    /// ``exp(_:)`` (no upper clamp, a one-step reduction), whose rounding of
    /// `y` costs accuracy as `|x|` grows: relative error within 7e-7 for
    /// `x ≥ −10` and 4e-6 down to `−87` (`FastKernelTests`), where `eˣ` is
    /// below 1e-38 of the row's largest term; `x < −87.33654` gives `e^−87.33654`.
    @inline(__always) static func expNonPositive(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let lo = SIMD16<Float>(repeating: -87.33654)
        let xc = x.replacing(with: lo, where: x .< lo)
        let shifter = SIMD16<Float>(repeating: 12_582_912)
        let y = xc * SIMD16(repeating: 1.44269504088896341)
        let t = y + shifter
        let f = y - (t - shifter)
        var p = SIMD16<Float>(repeating: 1.32647273e-3)
        p = p * f + SIMD16(repeating: 9.67151299e-3)
        p = p * f + SIMD16(repeating: 5.55073358e-2)
        p = p * f + SIMD16(repeating: 0.240222424)
        p = p * f + SIMD16(repeating: 0.693147004)
        p = p * f + SIMD16(repeating: 1)
        let bits = unsafeBitCast(t, to: SIMD16<Int32>.self)
        return p * unsafeBitCast((bits &+ 127) &<< 23, to: SIMD16<Float>.self)
    }
}
