import Foundation

extension Fixer {
    /// Splits row indices into training and validation parts, stratified by
    /// group × label: within each stratum the rows are shuffled with `seed`
    /// and `round(fraction × count)` go to validation. Both parts come back
    /// in ascending row order.
    static func stratifiedSplit(
        rowGroups: [Int], labels: [Float], fraction: Double,
        seed: UInt64
    ) -> (train: [Int], validation: [Int]) {
        guard fraction > 0 else { return (Array(0..<labels.count), []) }
        var strata: [Int: [Int]] = [:]
        for i in 0..<labels.count { strata[stratum(i, rowGroups, labels), default: []].append(i) }
        var rng = SplitMix64(seed: seed)
        var train: [Int] = []
        var validation: [Int] = []
        for key in strata.keys.sorted() {
            var rows = strata[key] ?? []
            rng.shuffle(&rows)
            let take = Int((fraction * Double(rows.count)).rounded())
            validation.append(contentsOf: rows.prefix(take))
            train.append(contentsOf: rows.dropFirst(take))
        }
        return (train.sorted(), validation.sorted())
    }

    /// The group × label cell of row `n`: `2·group + label`.
    static func stratum(_ n: Int, _ rowGroups: [Int], _ labels: [Float]) -> Int {
        rowGroups[n] * 2 + (labels[n] >= 0.5 ? 1 : 0)
    }

    /// One epoch's row order: a seeded shuffle, then the rows of each
    /// group × label cell spread evenly over the epoch, so every mini-batch
    /// holds each cell in about its share of the data (within one row).
    ///
    /// Row `i` (in shuffled order) of a cell with `N_k` rows sits at position
    /// `(i + u_k) / N_k`, `u_k ~ U[0, 1)` drawn per cell; rows are taken in
    /// order of position. Small cells (a minority group's positives) then
    /// appear in every batch, so the fairness penalty sees every cell in every
    /// step and its batch estimate is less noisy.
    static func stratifiedOrder(
        _ rows: [Int], rowGroups: [Int], labels: [Float],
        rng: inout SplitMix64
    ) -> [Int] {
        var order = rows
        rng.shuffle(&order)
        var total: [Int: Int] = [:]
        for n in order { total[stratum(n, rowGroups, labels), default: 0] += 1 }
        var offset: [Int: Double] = [:]
        for key in total.keys.sorted() { offset[key] = Double(rng.next() >> 11) / 9_007_199_254_740_992 }
        var seen: [Int: Int] = [:]
        var placed: [(position: Double, key: Int, row: Int)] = []
        placed.reserveCapacity(order.count)
        for n in order {
            let key = stratum(n, rowGroups, labels)
            let i = seen[key, default: 0]
            seen[key] = i + 1
            placed.append(((Double(i) + (offset[key] ?? 0)) / Double(total[key] ?? 1), key, n))
        }
        placed.sort { ($0.position, $0.key) < ($1.position, $1.key) }
        return placed.map(\.row)
    }
}
