import Foundation
import Testing

@testable import FairAudit

@Suite("Fixer batching and running gaps")
struct FixerBatchingTests {
    /// Four group × label cells of very different sizes (share 0.7%–70%).
    static func cells(_ sizes: [Int]) -> (groups: [Int], labels: [Float]) {
        var groups: [Int] = []
        var labels: [Float] = []
        for (cell, size) in sizes.enumerated() {
            groups += Array(repeating: cell / 2, count: size)
            labels += Array(repeating: Float(cell % 2), count: size)
        }
        return (groups, labels)
    }

    @Test(
        "every mini-batch holds each group × label cell in its share, within two rows",
        arguments: [(UInt64(0), 64), (1, 256), (7, 100)])
    func batchesAreStratified(seed: UInt64, batch: Int) {
        let sizes = [2_000, 500, 300, 20]
        let (groups, labels) = Self.cells(sizes)
        let rows = Array(0..<groups.count).filter { $0 % 5 != 3 }  // a training split, not all rows
        var rng = SplitMix64(seed: seed)
        let order = Fixer.stratifiedOrder(rows, rowGroups: groups, labels: labels, rng: &rng)
        #expect(order.sorted() == rows)  // a permutation of the split
        var total = [Int](repeating: 0, count: 4)
        for n in rows { total[Fixer.stratum(n, groups, labels)] += 1 }
        var start = 0
        while start + batch <= order.count {
            var count = [Int](repeating: 0, count: 4)
            for n in order[start..<(start + batch)] { count[Fixer.stratum(n, groups, labels)] += 1 }
            for k in 0..<4 {
                let share = Double(batch * total[k]) / Double(rows.count)
                #expect(
                    abs(Double(count[k]) - share) <= 2, "batch at \(start), cell \(k): \(count[k]) rows, share \(share)"
                )
            }
            start += batch
        }
    }

    @Test("the epoch order is fixed by the seed and changes with it")
    func orderFollowsSeed() {
        let (groups, labels) = Self.cells([300, 100, 80, 20])
        let rows = Array(0..<groups.count)
        func order(_ seed: UInt64) -> [Int] {
            var rng = SplitMix64(seed: seed)
            return Fixer.stratifiedOrder(rows, rowGroups: groups, labels: labels, rng: &rng)
        }
        #expect(order(5) == order(5))
        #expect(order(5) != order(6))
        #expect(order(5) != rows)
    }

    @Test("a running estimate with decay 0 gives the batch's own gradient")
    func decayZeroIsThePlainGradient() {
        let z: [Float] = [0.2, -1, 2, 0.5, -0.3, 1.1, -0.7, 0.4]
        let g = [0, 0, 1, 1, 1, 0, 1, 0]
        let y: [Float] = [1, 0, 1, 0, 1, 1, 0, 0]
        for penalty in [FixOptions.Penalty.dp, .eo] {
            let objective = FixerObjective(loss: Loss(classes: 1), penalty: penalty, lambda: 0.8)
            let plain = objective.evaluate(logits: z, rows: 8, labels: y, groups: g, weights: nil)
            var running = FixerObjective.GapEstimate(decay: 0)
            _ = objective.evaluate(
                logits: z.map { -$0 }, rows: 8, labels: y, groups: g, weights: nil, running: &running)
            let second = objective.evaluate(logits: z, rows: 8, labels: y, groups: g, weights: nil, running: &running)
            #expect(second.total == plain.total)
            for i in 0..<8 { #expect(abs(second.dLogits[i] - plain.dLogits[i]) < 1e-7) }
        }
    }

    @Test("the dp gradient takes its gap from the running means: 2λ·Ĝ·(±1/n)·σ'(z) on top of the NLL")
    func runningGapDrivesTheGradient() {
        let lambda = 0.5
        let decay = 0.9
        let g = [0, 0, 1, 1, 1]
        let y: [Float] = [1, 0, 1, 0, 1]
        let first: [Float] = [1.5, 0.4, -2, -0.5, -1]
        let second: [Float] = [0.2, -1, 2, 0.5, -0.3]
        func means(_ z: [Float]) -> (Double, Double) {
            let p = z.map { 1 / (1 + exp(-Double($0))) }
            return ((p[0] + p[1]) / 2, (p[2] + p[3] + p[4]) / 3)
        }
        let objective = FixerObjective(loss: Loss(classes: 1), penalty: .dp, lambda: lambda)
        var running = FixerObjective.GapEstimate(decay: decay)
        _ = objective.evaluate(logits: first, rows: 5, labels: y, groups: g, weights: nil, running: &running)
        let eval = objective.evaluate(logits: second, rows: 5, labels: y, groups: g, weights: nil, running: &running)
        let nllOnly = FixerObjective(loss: Loss(classes: 1), penalty: nil, lambda: 0)
            .evaluate(logits: second, rows: 5, labels: y, groups: g, weights: nil)
        // Group 0 against the rest and group 1 against the rest: Ĝ₁ = −Ĝ₀, both add the same push.
        let (a0, b0) = means(first)
        let (a1, b1) = means(second)
        let runningGap = (decay * a0 + (1 - decay) * a1) - (decay * b0 + (1 - decay) * b1)
        let batchGap = a1 - b1
        #expect(abs(eval.penalty - lambda * 2 * batchGap * batchGap) < 1e-6)  // the value stays the batch's
        for n in 0..<5 {
            let p = 1 / (1 + exp(-Double(second[n])))
            let side = g[n] == 0 ? 1.0 / 2 : -1.0 / 3
            let expected = Double(nllOnly.dLogits[n]) + 2 * (2 * lambda * runningGap * side) * p * (1 - p)
            #expect(abs(Double(eval.dLogits[n]) - expected) < 1e-6, "row \(n)")
        }
        #expect(abs(runningGap - batchGap) > 0.1)  // the test tells the two gap factors apart
    }
}
