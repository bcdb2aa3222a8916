import FairAudit

/// A set of row ids as sorted, disjoint, non-adjacent closed ranges: a shard
/// keyed by position is one range however many rows it has.
public struct RowIDRanges: Sendable, Equatable {
    /// `[lo, hi]` pairs, sorted by `lo`.
    public var ranges: [ClosedRange<UInt64>]

    /// Creates the set from ranges already sorted and disjoint.
    public init(ranges: [ClosedRange<UInt64>]) { self.ranges = ranges }

    /// The ranges of `ids`; nil with the first id that appears twice.
    public static func of(_ ids: [UInt64]) -> (ranges: RowIDRanges, duplicate: UInt64?) {
        var sorted = ids
        if !zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }) { sorted.sort() }
        var out: [ClosedRange<UInt64>] = []
        var lo: UInt64 = 0
        var hi: UInt64 = 0
        var open = false
        for x in sorted {
            if open && x == hi { return (RowIDRanges(ranges: []), x) }
            if open && hi != .max && x == hi + 1 {
                hi = x
                continue
            }
            if open { out.append(lo...hi) }
            lo = x
            hi = x
            open = true
        }
        if open { out.append(lo...hi) }
        return (RowIDRanges(ranges: out), nil)
    }

    /// The number of ids.
    public var count: UInt64 { ranges.reduce(0) { $0 &+ ($1.upperBound - $1.lowerBound &+ 1) } }

    /// The first pair of sets (by index) that share an id, and one shared id.
    public static func firstOverlap(_ sets: [RowIDRanges]) -> (Int, Int, id: UInt64)? {
        var all: [(ClosedRange<UInt64>, Int)] = []
        for (i, s) in sets.enumerated() { all += s.ranges.map { ($0, i) } }
        all.sort { $0.0.lowerBound < $1.0.lowerBound }
        guard var reach = all.first else { return nil }
        for next in all.dropFirst() {
            if next.0.lowerBound <= reach.0.upperBound {
                return (min(reach.1, next.1), max(reach.1, next.1), next.0.lowerBound)
            }
            if next.0.upperBound > reach.0.upperBound { reach = next }
        }
        return nil
    }

    /// The union of disjoint sets, with touching ranges joined.
    public static func union(_ sets: [RowIDRanges]) -> RowIDRanges {
        let all = sets.flatMap(\.ranges).sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt64>] = []
        for r in all {
            if let last = out.last, last.upperBound != .max, r.lowerBound <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return RowIDRanges(ranges: out)
    }
}
