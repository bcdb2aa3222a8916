import FairAudit
import Foundation

/// The Fisher audit's sufficient statistics over a set of rows (docs/method.md
/// §8): per observed group its rows and every trainable tensor's sum of
/// per-sample squared gradients; per permutation round and null group the
/// same, the null drawn by row id (``FisherNull``). Every field is a sum over
/// rows, so the partials of disjoint shards add up (``merged(_:order:)``) to
/// the partial of their union, and its report is the same however the rows
/// were split (to the rounding of double sums, about 1e-15 relative).
public struct FisherPartial: Sendable, Equatable {
    /// The observed labels' Fisher or the model's own.
    public var kind: FisherKind
    /// Trainable tensors, in model order, with their shapes.
    public var tensorNames: [String], shapes: [[Int]]
    /// The layers compared as one distribution (indices into `tensorNames`).
    public var units: [FisherUnit]
    /// Permutation rounds and their seed.
    public var permutations: Int, seed: UInt64
    /// Observed groups (any order; the merge orders them), rows per group,
    /// and `[group][tensor]` sums `Σ_{n∈g} (∂ℓ_n/∂θ)²`.
    public var groupNames: [String], counts: [Int], sums: [[[Double]]]
    /// Null groups and the row counts their proportions come from.
    public var nullNames: [String], nullCounts: [Int]
    /// `[round][null group]`: rows drawn into each.
    public var nullRows: [[Int]]
    /// `[round][null group]`: `[tensor]` sums, empty for the largest null group
    /// (all rows' sums minus the others').
    public var nullSums: [[[[Double]]]]

    /// Creates a partial from its fields.
    public init(
        kind: FisherKind, tensorNames: [String], shapes: [[Int]], units: [FisherUnit], permutations: Int,
        seed: UInt64, groupNames: [String], counts: [Int], sums: [[[Double]]], nullNames: [String],
        nullCounts: [Int], nullRows: [[Int]], nullSums: [[[[Double]]]]
    ) {
        self.kind = kind
        self.tensorNames = tensorNames
        self.shapes = shapes
        self.units = units
        self.permutations = permutations
        self.seed = seed
        self.groupNames = groupNames
        self.counts = counts
        self.sums = sums
        self.nullNames = nullNames
        self.nullCounts = nullCounts
        self.nullRows = nullRows
        self.nullSums = nullSums
    }

    /// The partial of what `accumulator` summed.
    public init(
        _ accumulator: FisherAccumulator, tensorNames: [String], shapes: [[Int]], units: [FisherUnit],
        nullNames: [String]
    ) {
        let null = accumulator.null
        self.init(
            kind: accumulator.kind, tensorNames: tensorNames, shapes: shapes, units: units,
            permutations: null?.rounds ?? 0, seed: null?.seed ?? 0,
            groupNames: accumulator.groupNames, counts: accumulator.groupRows,
            sums: accumulator.groupNames.map { accumulator.groupSums($0) ?? [] },
            nullNames: null == nil ? [] : nullNames, nullCounts: null?.counts ?? [],
            nullRows: accumulator.nullRows,
            nullSums: (0..<(null?.rounds ?? 0)).map { r in
                nullNames.indices.map { accumulator.nullSums(round: r, group: $0) ?? [] }
            })
    }

    /// The null of `rounds` rounds drawing with `counts` (name → rows), its
    /// groups in name order.
    public static func null(rounds: Int, seed: UInt64, counts: [String: Int]) -> (FisherNull, [String]) {
        let names = counts.keys.sorted()
        return (FisherNull(rounds: rounds, seed: seed, counts: names.map { counts[$0] ?? 0 }), names)
    }

    /// Why two partials cannot be added, or nil.
    public func disagreement(with other: FisherPartial) -> String? {
        if other.tensorNames != tensorNames || other.shapes != shapes {
            return
                "has the Fisher of other tensors (\(other.tensorNames.count) trainable tensors, not \(tensorNames.count), or other shapes)"
        }
        if other.kind != kind { return "has the \(other.kind.rawValue) Fisher, not the \(kind.rawValue) one" }
        if other.units != units { return "groups the tensors into other layers" }
        if other.permutations != permutations || other.seed != seed {
            return
                "has \(other.permutations) permutation rounds with seed \(other.seed), not \(permutations) with seed \(seed)"
        }
        if other.nullNames != nullNames || other.nullCounts != nullCounts {
            return
                "drew its permutation null with other group counts (\(Self.countsText(other.nullNames, other.nullCounts)), not \(Self.countsText(nullNames, nullCounts)))"
        }
        return nil
    }

    /// `{"a": 1, "b": 2}`.
    public static func countsText(_ names: [String], _ counts: [Int]) -> String {
        let object = JSONValue.object(zip(names, counts).map { ($0, .int($1)) })
        return object.serialized()
    }

    /// The sum of `parts` (which must agree: ``disagreement(with:)``), with the
    /// observed groups in `order` (groups no part saw are left out; a part's
    /// group missing from `order` is an error).
    public static func merged(_ parts: [FisherPartial], order: [String]) throws -> FisherPartial {
        guard let first = parts.first else { throw FisherError.inconsistentFisher(reason: "no partial results") }
        for p in parts.dropFirst() {
            if let why = first.disagreement(with: p) { throw FisherError.inconsistentFisher(reason: "a part \(why)") }
        }
        let sizes = first.shapes.map { $0.reduce(1, *) }
        let zero = sizes.map { [Double](repeating: 0, count: $0) }
        let seen = Set(parts.flatMap(\.groupNames))
        if let stray = seen.first(where: { !order.contains($0) }) {
            throw FisherError.inconsistentFisher(reason: "group '\(stray)' has Fisher sums but no place in the report")
        }
        let names = order.filter(seen.contains)
        let at = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var counts = [Int](repeating: 0, count: names.count)
        var sums = names.map { _ in zero }
        let rounds = first.permutations
        let nulls = first.nullNames.count
        var nullRows = [[Int]](repeating: [Int](repeating: 0, count: nulls), count: rounds)
        var nullSums: [[[[Double]]]] = (0..<rounds).map { _ in
            (0..<nulls).map { h in first.nullSums.first.map { $0[h].isEmpty } ?? true ? [] : zero }
        }
        for p in parts {
            for (j, name) in p.groupNames.enumerated() {
                guard let to = at[name] else { continue }
                counts[to] += p.counts[j]
                try add(p.sums[j], into: &sums[to], sizes: sizes)
            }
            guard p.nullRows.count == rounds, p.nullSums.count == rounds else {
                throw FisherError.inconsistentFisher(
                    reason: "a part has \(p.nullRows.count) null rounds, expected \(rounds)")
            }
            for r in 0..<rounds {
                guard p.nullRows[r].count == nulls, p.nullSums[r].count == nulls else {
                    throw FisherError.inconsistentFisher(reason: "a part's round \(r) has other null groups")
                }
                for h in 0..<nulls {
                    nullRows[r][h] += p.nullRows[r][h]
                    if nullSums[r][h].isEmpty != p.nullSums[r][h].isEmpty {
                        throw FisherError.inconsistentFisher(reason: "a part's round \(r) sums other null groups")
                    }
                    if !p.nullSums[r][h].isEmpty { try add(p.nullSums[r][h], into: &nullSums[r][h], sizes: sizes) }
                }
            }
        }
        var out = first
        out.groupNames = names
        out.counts = counts
        out.sums = sums
        out.nullRows = nullRows
        out.nullSums = nullSums
        return out
    }

    private static func add(_ part: [[Double]], into total: inout [[Double]], sizes: [Int]) throws {
        guard part.count == sizes.count, zip(part, sizes).allSatisfy({ $0.count == $1 }) else {
            throw FisherError.inconsistentFisher(reason: "a part's sums do not match the tensors' sizes \(sizes)")
        }
        for t in sizes.indices { for i in 0..<sizes[t] { total[t][i] += part[t][i] } }
    }
}
