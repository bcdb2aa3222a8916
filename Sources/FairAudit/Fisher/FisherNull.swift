import Foundation

/// The permutation null of the Fisher divergence, keyed by row id so that
/// any split of the rows draws the same null (docs/method.md §8): in round
/// `r` the row with global id `i` joins null group `h` when
/// `u = bits(seed ⊕ c, r, i)` (``CounterRandom``, a fixed 64-bit constant `c`
/// keeps it apart from the bootstrap's draws) falls in
/// `[2⁶⁴·C_{h−1}/N, 2⁶⁴·C_h/N)`, `C_h` the running sum of the null counts —
/// each row independently, with the groups' proportions.
public struct FisherNull: Sendable, Equatable {
    /// Permutation rounds.
    public let rounds: Int
    /// The seed (the audit's).
    public let seed: UInt64
    /// Each null group's row count (the proportions drawn with), in null-group order.
    public let counts: [Int]
    /// `⌊2⁶⁴·C_h/N⌋` for every group but the last.
    let thresholds: [UInt64]
    /// One key per round.
    let keys: [UInt64]

    /// Separates the null's stream of draws from the bootstrap's under one seed.
    static let streamSalt: UInt64 = 0x6E75_6C6C_2D66_6973  // "null-fis"

    /// A null of `rounds` rounds drawing groups with the proportions of
    /// `counts` (non-negative, summing to more than 0).
    public init(rounds: Int, seed: UInt64, counts: [Int]) {
        self.rounds = max(rounds, 0)
        self.seed = seed
        self.counts = counts
        let total = counts.reduce(0) { $0 + max($1, 0) }
        var cumulative = 0
        var out: [UInt64] = []
        for c in counts.dropLast() {
            cumulative += max(c, 0)
            if total <= 0 || cumulative >= total {
                out.append(.max)
                continue
            }
            // ⌊cumulative · 2⁶⁴ / total⌋, exactly, with cumulative < total.
            out.append(UInt64(total).dividingFullWidth((high: UInt64(cumulative), low: 0)).quotient)
        }
        thresholds = out
        keys = (0..<self.rounds).map { CounterRandom.key(seed: seed ^ Self.streamSalt, stream: UInt64($0)) }
    }

    /// The null group of the row with id `id` in round `round`.
    @inline(__always)
    public func group(round: Int, id: UInt64) -> Int {
        let u = CounterRandom.bits(key: keys[round], counter: id)
        // The thresholds ascend, so the group is how many of them u reaches: counted without a
        // branch (u is random, so a loop stopping at the first threshold above it mispredicts).
        var h = 0
        for t in thresholds { h &+= u >= t ? 1 : 0 }
        return h
    }

    /// The largest null group (first of ties): its sums are not accumulated
    /// but taken as all rows' sums minus the other null groups'.
    public var derived: Int {
        var best = 0
        for h in counts.indices where counts[h] > counts[best] { best = h }
        return best
    }

    /// The null groups whose sums are accumulated, in order (all but ``derived``).
    public var summed: [Int] { counts.indices.filter { $0 != derived } }
}
