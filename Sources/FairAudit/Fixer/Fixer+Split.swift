import Foundation

extension Fixer {
    /// Splits row indices into training and validation parts, stratified by
    /// group × label: within each stratum the rows are shuffled with `seed`
    /// and `round(fraction × count)` go to validation. Both parts come back
    /// in ascending row order.
    static func stratifiedSplit(rowGroups: [Int], labels: [Float], fraction: Double,
                                seed: UInt64) -> (train: [Int], validation: [Int]) {
        guard fraction > 0 else { return (Array(0..<labels.count), []) }
        var strata: [Int: [Int]] = [:]
        for i in 0..<labels.count {
            let key = rowGroups[i] * 2 + (labels[i] >= 0.5 ? 1 : 0)
            strata[key, default: []].append(i)
        }
        var rng = SplitMix64(seed: seed)
        var train: [Int] = [], validation: [Int] = []
        for key in strata.keys.sorted() {
            var rows = strata[key] ?? []
            rng.shuffle(&rows)
            let take = Int((fraction * Double(rows.count)).rounded())
            validation.append(contentsOf: rows.prefix(take))
            train.append(contentsOf: rows.dropFirst(take))
        }
        return (train.sorted(), validation.sorted())
    }
}
