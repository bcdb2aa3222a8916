import Foundation
import Testing

@testable import FairAudit

/// A dense layer's weighted squared per-sample gradients, input by input
/// (inputs mostly zero) and column by column, against a plain triple loop.
@Suite struct DenseSquaresTests {
    /// One case: the kernel's layout and the share of inputs set to zero.
    struct Case: Sendable, CustomStringConvertible {
        let layout: KernelLayout
        let zeroShare: Double
        var description: String { "\(layout.rawValue), \(Int(zeroShare * 100))% zero inputs" }
    }

    static let cases: [Case] = [KernelLayout.inOut, .outIn].flatMap { layout in
        [0.85, 0.2].map { Case(layout: layout, zeroShare: $0) }
    }

    @Test(
        "Dense.accumulateSquares adds Σ_n w[n,c] x²[n,a] δ²[n,j] and Σ_n w[n,c] δ²[n,j] to 1e-12 of a triple loop in double",
        arguments: cases)
    func weightedSquaresEqualTripleLoop(c: Case) {
        let (rows, nIn, nOut, columns) = (37, 20, 7, 5)
        var rng = SplitMix(state: 12)
        // Inputs mostly zero (the input-by-input path) or mostly set (the column-by-column path).
        let x = rng.floats(rows * nIn, -2, 2).enumerated().map { i, v in
            Double((i &* 2_654_435_761) % 1000) / 1000 < c.zeroShare ? 0 : v
        }
        let d = rng.floats(rows * nOut, -1, 1)
        // Weights: group-like 0/1 columns, a column of fractions, one row weighed by none.
        var w = [Float](repeating: 0, count: rows * columns)
        let fractions = rng.floats(rows, 0.1, 1)
        for n in 0..<rows where n != 5 {
            w[n * columns + n % 2] = 1
            w[n * columns + 2] = n % 3 == 0 ? 1 : 0
            w[n * columns + 3] = fractions[n]
        }
        let kernelSize = nIn * nOut
        let sums = FisherSums(counts: [kernelSize, nOut], columns: columns)
        Dense.accumulateSquares(
            x: Batch(rows: rows, shape: [nIn], data: x), delta: d, nOut: nOut, layout: c.layout,
            roles: [.kernel, .bias], weights: Membership(rows: rows, columns: columns, weights: w),
            into: [sums.pointer(slot: 0, column: 0), sums.pointer(slot: 1, column: 0)])
        for col in 0..<columns {
            let kernel = sums.sums(slot: 0, column: col)
            let bias = sums.sums(slot: 1, column: col)
            for j in 0..<nOut {
                var b = 0.0
                for n in 0..<rows { b += Double(w[n * columns + col]) * Double(d[n * nOut + j] * d[n * nOut + j]) }
                #expect(abs(bias[j] - b) <= 1e-12 * max(abs(b), 1e-30), "\(c) bias column \(col) [\(j)]")
                for a in 0..<nIn {
                    var k = 0.0
                    for n in 0..<rows {
                        k +=
                            Double(w[n * columns + col]) * Double(x[n * nIn + a] * x[n * nIn + a])
                            * Double(d[n * nOut + j] * d[n * nOut + j])
                    }
                    let i = c.layout == .inOut ? a * nOut + j : j * nIn + a
                    #expect(abs(kernel[i] - k) <= 1e-12 * max(abs(k), 1e-30), "\(c) kernel column \(col) [\(a), \(j)]")
                }
            }
        }
    }
}
