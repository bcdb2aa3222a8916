import FairAudit

/// Compares groups' Fisher (docs/method.md §2): per tensor and per layer,
/// TV, JS and top-1% Jaccard for every pair of compared groups and, with more
/// than two, each against the rest; a permutation null; and the most
/// group-influential parameters.
public enum FisherAnalysis {
    /// One permutation round of the null: each group's rows and Fisher
    /// (`[group][tensor][element]`) under a random assignment of rows to groups.
    public typealias NullRound = (counts: [Int], values: [[[Double]]])

    /// Runs the comparison with the null computed by `recompute`, which
    /// returns `[group][tensor][element]` Fisher for a permuted assignment of
    /// rows to groups; it is called `permutations` times with `rowGroups`
    /// shuffled by `permutedRowGroups`.
    public static func run(
        observed: FisherByGroup, layers: [FisherUnit], rowGroups: [Int], minGroupSize: Int,
        permutations: Int, seed: UInt64, top: Int, kind: FisherKind = .empirical,
        progress: (String) -> Void = { _ in },
        recompute: ([Int]) throws -> [[[Float]]]
    ) throws -> FisherReport {
        guard permutations >= 0 else { throw FisherError.invalidOption(name: "permutations", reason: "must be ≥ 0") }
        var rounds: [NullRound] = []
        for r in 0..<permutations {
            progress("fisher: permutation round \(r + 1) of \(permutations)")
            let values = try recompute(permutedRowGroups(rowGroups, round: r, seed: seed))
            rounds.append((observed.counts, values.map { $0.map { $0.map(Double.init) } }))
        }
        return try run(
            observed: observed, layers: layers, nullRounds: rounds, minGroupSize: minGroupSize,
            permutations: permutations, seed: seed, top: top, kind: kind)
    }

    /// Runs the comparison against a null given as its rounds. Groups with
    /// fewer than `minGroupSize` rows (or none) are not compared. The p-value
    /// is the share of rounds whose TV ≥ the observed TV − `tieTolerance`.
    public static func run(
        observed: FisherByGroup, layers: [FisherUnit], nullRounds: [NullRound], minGroupSize: Int,
        permutations: Int, seed: UInt64, top: Int, kind: FisherKind = .empirical
    ) throws -> FisherReport {
        guard permutations >= 0 else { throw FisherError.invalidOption(name: "permutations", reason: "must be ≥ 0") }
        guard top >= 0 else { throw FisherError.invalidOption(name: "top", reason: "must be ≥ 0") }
        let tensorCount = observed.tensorNames.count
        for unit in layers where unit.tensors.contains(where: { $0 < 0 || $0 >= tensorCount }) {
            throw FisherError.invalidOption(
                name: "layers", reason: "has unit '\(unit.name)' naming a tensor index outside 0..<\(tensorCount)")
        }
        let compared = observed.counts.indices.filter { observed.counts[$0] >= max(minGroupSize, 1) }
        var specs: [(Int, Int?)] = []
        for (a, g) in compared.enumerated() { for h in compared[(a + 1)...] { specs.append((g, h)) } }
        if compared.count > 2 { specs += compared.map { ($0, nil) } }
        let tensorUnits = FisherUnit.tensors(observed.tensorNames)
        let units = tensorUnits + layers

        let withRest = specs.contains { $0.1 == nil }
        var results: [[UnitDivergence]] = specs.map { _ in [] }
        for unit in units {
            let sides = UnitSides(
                values: observed.values, counts: observed.counts, unit: unit, compared: compared,
                withRest: withRest)
            let tops = sides.topSets()
            for (s, spec) in specs.enumerated() {
                var d = observedDivergence(observed, sides, spec, unit)
                if let a = tops.groups[spec.0], let b = spec.1.map({ tops.groups[$0] }) ?? tops.rests[spec.0] {
                    d.top1Jaccard = FisherDivergence.jaccard(a, b)
                }
                results[s].append(d)
            }
        }
        if !nullRounds.isEmpty, !specs.isEmpty {
            var sums = results.map { $0.map { _ in 0.0 } }
            var exceed = sums
            var rounds = sums
            for round in nullRounds {
                let values = round.values
                try FisherByGroup.check(
                    values, tensorSizes: observed.values.first?.map(\.count) ?? [],
                    groups: observed.groupNames.count)
                for (u, unit) in units.enumerated() {
                    let sides = UnitSides(
                        values: values, counts: round.counts, unit: unit, compared: compared,
                        withRest: withRest)
                    for (s, spec) in specs.enumerated() {
                        guard let (p, q) = sides.pair(spec) else { continue }
                        let tv = FisherDivergence.totalVariation(p, q)
                        sums[s][u] += tv
                        rounds[s][u] += 1
                        // Rounding noise (≈1e-16) must not make equal distributions "exceed".
                        if tv >= results[s][u].tv - tieTolerance { exceed[s][u] += 1 }
                    }
                }
            }
            for s in results.indices {
                for u in results[s].indices where rounds[s][u] > 0 && !results[s][u].tv.isNaN {
                    results[s][u].nullTVMean = sums[s][u] / rounds[s][u]
                    results[s][u].pValue = exceed[s][u] / rounds[s][u]
                }
            }
        }
        let comparisons = specs.enumerated().map { s, spec in
            GroupComparison(
                groups: [observed.groupNames[spec.0], spec.1.map { observed.groupNames[$0] } ?? "rest"],
                againstRest: spec.1 == nil,
                tensors: Array(results[s][..<tensorUnits.count]),
                layers: Array(results[s][tensorUnits.count...]))
        }
        return FisherReport(
            kind: kind, permutations: permutations, seed: seed, minGroupSize: minGroupSize,
            groups: observed.groupNames.indices.map {
                (observed.groupNames[$0], observed.counts[$0], compared.contains($0))
            },
            comparisons: comparisons,
            influential: influentialParameters(observed, groups: compared, top: top),
            savedTo: nil)
    }

    /// Null TVs within this of the observed TV count as reaching it.
    public static let tieTolerance = 1e-12

    static func observedDivergence(
        _ f: FisherByGroup, _ sides: UnitSides, _ spec: (Int, Int?),
        _ unit: FisherUnit
    ) -> UnitDivergence {
        let size = unit.tensors.reduce(0) { $0 + (f.values.first?[$1].count ?? 0) }
        var d = UnitDivergence(
            name: unit.name, size: size, tensors: unit.tensors.map { f.tensorNames[$0] },
            tv: .nan, js: .nan, top1Jaccard: .nan, nullTVMean: nil, pValue: nil)
        if let (p, q) = sides.pair(spec) {
            d.tv = FisherDivergence.totalVariation(p, q)
            d.js = FisherDivergence.jensenShannon(p, q)
        }
        return d
    }

    /// `rowGroups` shuffled by Fisher–Yates with the SplitMix64 stream of
    /// `(seed, round)`; group sizes are kept.
    public static func permutedRowGroups(_ rowGroups: [Int], round: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed, stream: UInt64(round))
        var out = rowGroups
        rng.shuffle(&out)
        return out
    }
}
