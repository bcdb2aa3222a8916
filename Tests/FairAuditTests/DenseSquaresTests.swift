import Foundation
import Testing

@testable import FairAudit

/// A dense layer's weighted squared per-sample gradients, input by input
/// (inputs mostly zero) and column by column, against a plain triple loop.
@Suite struct DenseSquaresTests {
    /// One case: the kernel's layout, the share of inputs set to zero and the outputs (one or
    /// two: a head's, summed output by output over every column at once).
    struct Case: Sendable, CustomStringConvertible {
        let layout: KernelLayout
        let zeroShare: Double
        var nOut = 7
        var description: String { "\(layout.rawValue), \(Int(zeroShare * 100))% zero inputs, \(nOut) outputs" }
    }

    static let cases: [Case] = [KernelLayout.inOut, .outIn].flatMap { layout in
        [0.85, 0.2].flatMap { share in [7, 1, 2].map { Case(layout: layout, zeroShare: share, nOut: $0) } }
    }

    @Test(
        "Dense.accumulateSquares adds Σ_n w[n,c] x²[n,a] δ²[n,j] and Σ_n w[n,c] δ²[n,j] to 1e-12 of a triple loop in double",
        arguments: cases)
    func weightedSquaresEqualTripleLoop(c: Case) {
        let (rows, nIn, nOut, columns) = (37, 20, c.nOut, 5)
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

    /// The audit's weights: three observed groups, then each of 20 permutation rounds' summed null groups
    /// (``FisherNull`` draws keyed by row id, the largest group left out), on inputs mostly zero; the
    /// sums equal a naive loop over rows, rounds and null groups, each row's `x²δ²` added where it was
    /// drawn, to 1e-12 relative. One output (a sigmoid head) and eight, each layout.
    @Test(arguments: [KernelLayout.inOut, .outIn], [1, 8])
    func permutationColumnsEqualPerRoundLoop(layout: KernelLayout, nOut: Int) {
        let (rows, nIn) = (150, 30)
        var rng = SplitMix(state: 31)
        // One-hot-like inputs: about three of thirty set per row.
        let x = rng.floats(rows * nIn, -2, 2).enumerated().map { i, v in
            Double((i &* 2_654_435_761) % 1000) / 1000 < 0.9 ? 0 : v
        }
        let d = rng.floats(rows * nOut, -1, 1)
        let observed = (0..<rows).map { $0 % 7 < 3 ? 0 : ($0 % 7 < 5 ? 1 : 2) }
        let counts = (0..<3).map { g in observed.filter { $0 == g }.count }
        let null = FisherNull(rounds: 20, seed: 5, counts: counts)
        let summed = null.summed
        let columns = 3 + null.rounds * summed.count
        let ids = (0..<rows).map { UInt64($0) * 7 + 3 }
        var w = [Float](repeating: 0, count: rows * columns)
        for n in 0..<rows {
            w[n * columns + observed[n]] = 1
            for r in 0..<null.rounds {
                if let k = summed.firstIndex(of: null.group(round: r, id: ids[n])) {
                    w[n * columns + 3 + r * summed.count + k] = 1
                }
            }
        }
        let sums = FisherSums(counts: [nIn * nOut, nOut], columns: columns)
        Dense.accumulateSquares(
            x: Batch(rows: rows, shape: [nIn], data: x), delta: d, nOut: nOut, layout: layout,
            roles: [.kernel, .bias], weights: Membership(rows: rows, columns: columns, weights: w),
            into: [sums.pointer(slot: 0, column: 0), sums.pointer(slot: 1, column: 0)])
        // Naive: every (round, summed null group) and every observed group, row by row.
        var targets: [(column: Int, member: (Int) -> Bool)] = (0..<3).map { g in (g, { observed[$0] == g }) }
        for r in 0..<null.rounds {
            for (k, h) in summed.enumerated() {
                targets.append((3 + r * summed.count + k, { null.group(round: r, id: ids[$0]) == h }))
            }
        }
        for (col, member) in targets {
            var kernel = [Double](repeating: 0, count: nIn * nOut)
            var bias = [Double](repeating: 0, count: nOut)
            for n in 0..<rows where member(n) {
                for j in 0..<nOut {
                    let d2 = Double(d[n * nOut + j] * d[n * nOut + j])
                    bias[j] += d2
                    for a in 0..<nIn {
                        let x2 = Double(x[n * nIn + a] * x[n * nIn + a])
                        kernel[layout == .inOut ? a * nOut + j : j * nIn + a] += x2 * d2
                    }
                }
            }
            let gotKernel = sums.sums(slot: 0, column: col)
            let gotBias = sums.sums(slot: 1, column: col)
            for i in kernel.indices {
                #expect(
                    abs(gotKernel[i] - kernel[i]) <= 1e-12 * max(abs(kernel[i]), 1e-30), "column \(col) kernel [\(i)]")
            }
            for j in bias.indices {
                #expect(abs(gotBias[j] - bias[j]) <= 1e-12 * max(abs(bias[j]), 1e-30), "column \(col) bias [\(j)]")
            }
        }
    }
}
