import Foundation

/// An exponential moving average of the trainable weights over training
/// steps, `w̄ ← β·w̄ + (1 − β)·w` (docs/method.md §5, "Targets").
///
/// The model's steps and the multipliers' steps of a constrained fine-tuning
/// chase each other, so the weights at any one step swing around the
/// constrained optimum; their average over the recent steps is the iterate
/// that settles. Epochs are judged and written with the averaged weights.
struct WeightAverage {
    private var average: [Int: [Double]] = [:]
    let decay: Double

    init(_ values: [[Float]], indices: [Int], decay: Double) {
        self.decay = decay
        for i in indices { average[i] = values[i].map(Double.init) }
    }

    /// Folds the current weights into the average.
    mutating func add(_ values: [[Float]], indices: [Int]) {
        for i in indices {
            guard var a = average[i] else { continue }
            let v = values[i]
            precondition(a.count == v.count, "WeightAverage: tensor \(i) changed size")
            for j in a.indices { a[j] = decay * a[j] + (1 - decay) * Double(v[j]) }
            average[i] = a
        }
    }

    /// Writes the averaged weights into `values`.
    func write(into values: inout [[Float]], indices: [Int]) {
        for i in indices { if let a = average[i] { values[i] = a.map(Float.init) } }
    }
}
