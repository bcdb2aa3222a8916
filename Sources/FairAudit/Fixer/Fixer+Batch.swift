import Foundation

extension Fixer {
    /// The row indices of `order` in consecutive mini-batches of `size` rows.
    static func batches(_ order: [Int], size: Int) -> [[Int]] {
        stride(from: 0, to: order.count, by: max(size, 1)).map { Array(order[$0..<min($0 + size, order.count)]) }
    }

    /// Runs `batch` (rows of `data`) through `net` into `trace` and evaluates
    /// `objective` on its logits, folding the batch into the running `gaps`.
    static func forward(
        _ net: Network, _ trace: inout Trace, batch: [Int], data: LabeledData,
        objective: FixerObjective, weights: [Float]?,
        gaps: inout FixerObjective.GapEstimate
    ) -> FixerObjective.Evaluation {
        data.features.withUnsafeBufferPointer { f in
            net.loadInputs(f, count: batch.count, row: { batch[$0] }, into: &trace)
        }
        net.runForward(&trace)
        return objective.evaluate(
            logits: net.logits(trace), rows: batch.count, labels: batch.map { data.labels[$0] },
            groups: batch.map { data.rowGroups[$0] },
            weights: weights.map { w in batch.map { w[$0] } }, running: &gaps)
    }

    /// `grads` ← the gradient of every parameter for the batch in `trace`,
    /// given the objective's gradient with respect to the logits.
    static func gradients(_ net: Network, _ trace: Trace, dLogits: [Float], into grads: inout [[Float]]) {
        for i in grads.indices { grads[i].withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        net.backward(trace, logitGrad: dLogits, into: &grads)
    }
}
