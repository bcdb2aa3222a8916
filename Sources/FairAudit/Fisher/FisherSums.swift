import Foundation

/// Running sums `Σ_n w[n, c] (∂ℓ_n/∂θ)²` of every trainable tensor for
/// each of `columns` weight columns (groups, or groups × permutation
/// rounds), in one buffer; owned by one thread at a time.
final class FisherSums: @unchecked Sendable {
    /// Elements of each trainable tensor.
    let counts: [Int]
    let columns: Int
    private let offsets: [Int]
    private let buffer: UnsafeMutablePointer<Float>
    private let total: Int

    init(counts: [Int], columns: Int) {
        self.counts = counts
        self.columns = columns
        var offsets: [Int] = [], o = 0
        for c in counts { offsets.append(o); o += c * columns }
        self.offsets = offsets
        total = o
        buffer = .allocate(capacity: max(o, 1))
        buffer.initialize(repeating: 0, count: max(o, 1))
    }

    deinit { buffer.deallocate() }

    /// Where column `column` of tensor `slot` starts (`counts[slot]` values,
    /// then the next column's).
    func pointer(slot: Int, column: Int) -> UnsafeMutablePointer<Float> {
        buffer + offsets[slot] + column * counts[slot]
    }

    /// Column `column` of tensor `slot`.
    func values(slot: Int, column: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer(slot: slot, column: column), count: counts[slot]))
    }

    /// `self += other`, element by element.
    func add(_ other: FisherSums) {
        guard other.total == total else { return }
        for i in 0..<total { buffer[i] += other.buffer[i] }
    }
}
