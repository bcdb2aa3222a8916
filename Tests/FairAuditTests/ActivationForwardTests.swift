import Foundation
import Testing

@testable import FairAudit

/// The element-wise activations' forward loops (``Activation/applyInPlace(_:width:slope:)``,
/// built on ``FastMath``) against the double-precision formulas, over a grid
/// that crosses zero, the small arguments where `eˣ − 1` and `tanh` lose
/// relative digits, and the saturated tails.
struct ActivationForwardTests {
    struct Case: CustomStringConvertible, Sendable {
        var activation: Activation
        /// The double-precision value.
        var exact: @Sendable (Double) -> Double
        /// Allowed `|f − exact| / max(|exact|, floor)`.
        var relative: Double
        var floor: Double
        var description: String { activation.rawValue }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    static let cases: [Case] = [
        Case(activation: .sigmoid, exact: { sigmoid($0) }, relative: 4e-7, floor: 1e-30),
        Case(activation: .tanh, exact: { Foundation.tanh($0) }, relative: 3e-7, floor: 1),
        Case(activation: .elu, exact: { $0 > 0 ? $0 : Foundation.expm1($0) }, relative: 5e-7, floor: 1e-30),
        Case(
            activation: .selu,
            exact: { x in
                Double(Activation.seluScale) * (x > 0 ? x : Double(Activation.seluAlpha) * Foundation.expm1(x))
            }, relative: 8e-7, floor: 1e-30),
        Case(activation: .swish, exact: { $0 * sigmoid($0) }, relative: 5e-7, floor: 1e-30),
        Case(activation: .silu, exact: { $0 * sigmoid($0) }, relative: 5e-7, floor: 1e-30),
    ]

    /// Points over `[−30, 30]`, denser near zero, with the exact small values `±1e-6…±1e-2`.
    static let grid: [Float] = {
        var g = (0...60_000).map { Float(-30 + Double($0) / 1000) }
        for e in [-6.0, -4, -3, -2] { g += [Float(pow(10, e)), -Float(pow(10, e))] }
        return g + (0...2000).map { Float(-0.2 + Double($0) / 5000) }
    }()

    @Test(arguments: cases)
    func elementWiseMatchesDoublePrecision(_ c: Case) {
        var a = Self.grid
        c.activation.applyInPlace(&a, width: 1, slope: 0)
        var worst = 0.0
        var at: Float = 0
        for (x, y) in zip(Self.grid, a) {
            let want = c.exact(Double(x))
            let e = abs(Double(y) - want) / max(abs(want), c.floor)
            if e > worst { (worst, at) = (e, x) }
        }
        #expect(worst <= c.relative, "\(c.activation): \(worst) at \(at)")
    }

    @Test("softmax rows of 2, 3 and 17 values, up to ±80 apart, sum to 1 and match the double formula within 1e-6")
    func softmaxRows() {
        for width in [2, 3, 17] {
            let rows = 200
            var rng = SplitMix64(seed: UInt64(width))
            let z = (0..<rows * width).map { _ in (Float(rng.next() % 16_001) / 100 - 80) }
            var a = z
            Activation.softmax.applyInPlace(&a, width: width, slope: 0)
            for r in 0..<rows {
                let row = z[(r * width)..<((r + 1) * width)].map(Double.init)
                let m = row.max() ?? 0
                let e = row.map { Foundation.exp($0 - m) }
                let total = e.reduce(0, +)
                for j in 0..<width {
                    let got = Double(a[r * width + j])
                    #expect(abs(got - e[j] / total) <= 1e-6, "width \(width) row \(r) column \(j)")
                }
            }
        }
    }
}
