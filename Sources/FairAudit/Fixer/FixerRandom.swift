import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): the fixer's own seeded generator,
/// so a seed gives the same split and shuffles on every platform and Swift version.
struct FixerRandom: RandomNumberGenerator {
    private var state: UInt64

    /// A generator started at `seed`.
    init(seed: UInt64) { state = seed }

    /// `z = (s += 0x9E3779B97F4A7C15)`, then two xor-shift-multiply rounds.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (Lemire's rejection, unbiased).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let threshold = (0 &- b) % b
        while true {
            let r = next()
            let m = r.multipliedFullWidth(by: b)
            if m.low >= threshold { return Int(m.high) }
        }
    }

    /// Fisher–Yates shuffle of `array` in place, drawing from this generator.
    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = below(i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }
}

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
        var rng = FixerRandom(seed: seed)
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
