import AuditFairness
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The Adult rows grouped by sex × race (ten groups, some small, some absent
/// from short shards), with their global ids.
private struct Rows {
    let data: AdultScores
    let names: [String]
    let rows: [Int]
    init() throws {
        data = try AdultScores.load()
        (names, rows) = data.groups(["sex", "race"])
    }

    /// The partial of the rows at `indices` (in that order), with only the
    /// groups those rows have, named in first-appearance order.
    func partial(_ indices: [Int], seed: UInt64 = 5, resamples: Int = 200) throws -> FairnessPartial {
        var local: [Int: Int] = [:]
        var localNames: [String] = []
        let groups: [Int] = indices.map { i in
            if let k = local[rows[i]] { return k }
            local[rows[i]] = localNames.count
            localNames.append(names[rows[i]])
            return localNames.count - 1
        }
        return try FairnessPartial(
            scores: indices.map { data.scores[$0] }, labels: indices.map { data.labels[$0] },
            rowGroups: groups, groupNames: localNames,
            groupParts: localNames.map { $0.components(separatedBy: " & ") },
            rowIDs: indices.map { UInt64($0) }, threshold: 0.5, resamples: resamples, seed: seed)
    }
}

/// A deterministic shuffle (SplitMix64 Fisher–Yates).
private func shuffled<T>(_ a: [T], seed: UInt64) -> [T] {
    var x = a
    var rng = SplitMix64(seed: seed)
    rng.shuffle(&x)
    return x
}

/// The rows cut into `shards` contiguous pieces at uneven points, each
/// shard's rows shuffled, the shards merged in a shuffled order, give the
/// report of one run over all rows: identical counts and rates, mean scores
/// and every interval within 1e-12 (score sums add in another order).
@Test(arguments: [1, 2, 3, 7])
func anySplitGivesTheSingleRunReport(shards: Int) throws {
    let r = try Rows()
    let n = r.data.scores.count
    let single = try FairnessReport(
        scores: r.data.scores, labels: r.data.labels, rowGroups: r.rows, groupNames: r.names,
        minGroupSize: 30, resamples: 200, seed: 5)
    // Uneven cuts: shard k ends at n·((k+1)/shards)² so early shards are short.
    var cuts = [0]
    for k in 1...shards { cuts.append(k == shards ? n : Int(Double(n) * pow(Double(k) / Double(shards), 2))) }
    let parts = try (0..<shards).map { k in
        try r.partial(shuffled(Array(cuts[k]..<cuts[k + 1]), seed: UInt64(k)))
    }
    let merged = try FairnessPartial.merged(shuffled(parts, seed: 99))
    #expect(merged.rows == n)
    let report = try FairnessReport(partial: merged, minGroupSize: 30)
    #expect(Set(report.groups.map(\.group)) == Set(single.groups.map(\.group)))
    for g in single.groups {
        let m = try #require(report.groups.first { $0.group == g.group })
        #expect(m.counts == g.counts, "\(g.group)")
        #expect(abs(m.meanScore - g.meanScore) <= 1e-12, "\(g.group)")
        #expect(m.small == g.small)
        #expect(m.intervals.count == g.intervals.count)
        for (a, b) in zip(m.intervals, g.intervals) {
            #expect(close(a, b), "\(g.group): \(String(describing: a)) vs \(String(describing: b))")
        }
    }
    #expect(report.overall.counts == single.overall.counts)
    for (a, b) in zip(report.gaps.values, single.gaps.values) { #expect(a == b || (a.isNaN && b.isNaN)) }
    #expect(single.intervals.allSatisfy { $0 != nil })
    for (a, b) in zip(report.intervals, single.intervals) { #expect(close(a, b)) }
}

private func close(_ a: ClosedRange<Double>?, _ b: ClosedRange<Double>?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let x?, let y?): abs(x.lowerBound - y.lowerBound) <= 1e-12 && abs(x.upperBound - y.upperBound) <= 1e-12
    default: false
    }
}

/// Every replicate's weights are Poisson(1): over n rows a replicate's total
/// weight has mean n and variance n, and across replicates and rows the
/// share of zero weights is e⁻¹ and of ones e⁻¹ (checked here against the
/// counts the cells add up to, 4 standard errors wide).
@Test func replicateWeightsArePoissonOne() throws {
    let r = try Rows()
    let n = r.data.scores.count
    let reps = 200
    let p = try r.partial(Array(0..<n), resamples: reps)
    let width = 4 * p.groupNames.count
    let totals = (0..<reps).map { b in p.bootstrapCells[(b * width)..<((b + 1) * width)].reduce(0, +) }
    let mean = Double(totals.reduce(0, +)) / Double(reps)
    let variance = totals.map { pow(Double($0) - mean, 2) }.reduce(0, +) / Double(reps - 1)
    #expect(abs(mean - Double(n)) < 4 * sqrt(Double(n) / Double(reps)), "mean total \(mean) for \(n) rows")
    #expect(abs(variance / Double(n) - 1) < 4 * sqrt(2.0 / Double(reps - 1)), "variance \(variance) vs \(n)")
    // The draws themselves: the share of each value over rows × replicates.
    var seen = [Int](repeating: 0, count: 6)
    let cdf = CounterRandom.poissonOneCDF
    for b in 0..<20 {
        let key = CounterRandom.key(seed: 5, stream: UInt64(b))
        for i in 0..<n {
            let k = cdf.withUnsafeBufferPointer {
                CounterRandom.poissonOne(CounterRandom.bits(key: key, counter: UInt64(i)), cdf: $0)
            }
            seen[min(k, 5)] += 1
        }
    }
    let total = Double(20 * n)
    for (k, expected) in [exp(-1.0), exp(-1.0), exp(-1.0) / 2, exp(-1.0) / 6].enumerated() {
        let share = Double(seen[k]) / total
        #expect(
            abs(share - expected) < 4 * sqrt(expected * (1 - expected) / total),
            "P(\(k)) = \(share), expected \(expected)")
    }
}

/// A partial written as JSON reads back to the same sums (a copy: bit for bit).
@Test func partialJSONReadsBackWhole() throws {
    let r = try Rows()
    var options = AuditOptions()
    options.seed = 5
    let part = try AuditPartial(
        modelHash: "abc", model: "m.h5", modelFormat: "hdf5", modelLayout: .kerasLegacy,
        dataSources: ["a.csv"], label: "income", positive: nil, groupColumns: ["sex", "race"],
        featureNames: ["x"], options: options, rowIDs: RowIDRanges(ranges: [0...999]),
        fairness: r.partial(Array(0..<1000)))
    let back = try AuditPartial.read(Data(part.json.serialized().utf8), path: "p.json")
    let a = back.fairness
    let b = part.fairness
    #expect(a.groupNames == b.groupNames && a.groupParts == b.groupParts)
    #expect(a.cells == b.cells && a.bootstrapCells == b.bootstrapCells)
    #expect(a.scoreSums.map(\.bitPattern) == b.scoreSums.map(\.bitPattern), "\(a.scoreSums) vs \(b.scoreSums)")
    #expect(a.threshold == b.threshold && a.resamples == b.resamples && a.seed == b.seed)
    #expect(back.rowIDs == part.rowIDs)
    #expect(back.modelHash == "abc" && back.options.seed == 5 && back.groupColumns == ["sex", "race"])
}

/// Merge refuses parts from another model, with another seed or options, or
/// sharing row ids, naming the offending part.
@Test func mergeRefusesPartsThatDoNotAdd() throws {
    let r = try Rows()
    func part(
        _ ids: ClosedRange<Int>, hash: String = "abc", seed: UInt64 = 0, threshold: Double = 0.5
    ) throws -> AuditPartial {
        var o = AuditOptions()
        o.seed = seed
        o.threshold = threshold
        let f = try r.partial(Array(ids), seed: seed)
        return AuditPartial(
            modelHash: hash, model: "m.h5", modelFormat: "hdf5", modelLayout: .kerasLegacy, dataSources: [],
            label: "income", positive: nil, groupColumns: ["sex", "race"], featureNames: ["x"], options: o,
            rowIDs: RowIDRanges.of(ids.map { UInt64($0) }).ranges, fairness: f)
    }
    let a = try part(0...99)
    #expect(try AuditPartial.merged([a, part(100...199)], sources: ["a", "b"]).rows == 200)
    for (bad, word) in [
        (try part(100...199, hash: "def"), "another model"), (try part(100...199, seed: 1), "seed"),
        (try part(100...199, threshold: 0.6), "options"), (try part(50...149), "overlap"),
    ] {
        #expect {
            try AuditPartial.merged([a, bad], sources: ["a.json", "b.json"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("b.json") && text.contains(word) && !text.contains("\n")
        }
    }
}
