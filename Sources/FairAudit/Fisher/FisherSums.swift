import Foundation

/// Running sums `Σ_n w[n, c] (∂ℓ_n/∂θ)²` of every trainable tensor for
/// each of `columns` weight columns (groups, or groups × permutation
/// rounds), in one buffer of doubles; owned by one thread at a time.
///
/// Each row's squared gradient is formed from float32 values and added in
/// double precision, so sums over the same rows taken in another order or
/// split (shards, threads) agree to about 1e-15 relative.
final class FisherSums: @unchecked Sendable {
    /// Elements of each trainable tensor.
    let counts: [Int]
    let columns: Int
    private let offsets: [Int]
    private let buffer: UnsafeMutablePointer<Double>
    private let total: Int

    init(counts: [Int], columns: Int) {
        self.counts = counts
        self.columns = columns
        var offsets: [Int] = []
        var o = 0
        for c in counts {
            offsets.append(o)
            o += c * columns
        }
        self.offsets = offsets
        total = o
        buffer = .allocate(capacity: max(o, 1))
        buffer.initialize(repeating: 0, count: max(o, 1))
    }

    deinit { buffer.deallocate() }

    /// Where column `column` of tensor `slot` starts (`counts[slot]` values,
    /// then the next column's).
    func pointer(slot: Int, column: Int) -> UnsafeMutablePointer<Double> {
        buffer + offsets[slot] + column * counts[slot]
    }

    /// Column `column` of tensor `slot`, rounded to float32.
    func values(slot: Int, column: Int) -> [Float] {
        UnsafeBufferPointer(start: pointer(slot: slot, column: column), count: counts[slot]).map { Float($0) }
    }

    /// Column `column` of tensor `slot`.
    func sums(slot: Int, column: Int) -> [Double] {
        Array(UnsafeBufferPointer(start: pointer(slot: slot, column: column), count: counts[slot]))
    }

    /// Sets every sum to 0.
    func clear() { buffer.update(repeating: 0, count: max(total, 1)) }

    /// A copy with a column of zeros inserted at `column` (the columns from
    /// there on move one to the right).
    func inserting(column c: Int) -> FisherSums {
        let wider = FisherSums(counts: counts, columns: columns + 1)
        for s in counts.indices {
            for old in 0..<columns {
                wider.pointer(slot: s, column: old < c ? old : old + 1).update(
                    from: pointer(slot: s, column: old), count: counts[s])
            }
        }
        return wider
    }

    /// `self += other`, element by element.
    func add(_ other: FisherSums) {
        guard other.total == total else { return }
        for i in 0..<total { buffer[i] += other.buffer[i] }
    }
}
