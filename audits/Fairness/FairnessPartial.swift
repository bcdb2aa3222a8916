import FairAudit
import Foundation

/// The fairness audit's sufficient statistics over a set of rows: per group
/// the confusion cells and the score sum, and per Poisson-bootstrap replicate
/// the same cells with every row weighted by its draw. Every field is a sum
/// over rows, so the partials of disjoint shards add up to the partial of
/// their union (``merged(_:)``), and the report of a partial
/// (``FairnessReport/init(partial:minGroupSize:confidence:)``) is the same
/// whichever way the rows were split.
public struct FairnessPartial: Sendable, Equatable {
    /// Each group's name, as the data names it.
    public var groupNames: [String]
    /// Each group's values, one per group column; the merge sorts groups by these.
    public var groupParts: [[String]]
    /// `4·g + 2·y + ŷ` → rows, as `ConfusionCounts(cells:)` reads them.
    public var cells: [Int]
    /// Σ score per group (in row order within one partial).
    public var scoreSums: [Double]
    /// Predicted positive when `score ≥ threshold`.
    public var threshold: Double
    /// Poisson-bootstrap replicates.
    public var resamples: Int
    /// The bootstrap's seed.
    public var seed: UInt64
    /// `resamples × 4·groups`: replicate `b`'s cells at `b·4G + 4g + 2y + ŷ`, each
    /// row counted `w_{b,id} ~ Poisson(1)` times (``CounterRandom``).
    public var bootstrapCells: [Int]

    /// Rows counted.
    public var rows: Int { cells.reduce(0, +) }

    /// The partial of rows with `scores`, binary `labels`, `rowGroups` into
    /// `groupNames` (split into `groupParts`), and globally unique `rowIDs`.
    public init(
        scores: [Float], labels: [Float], rowGroups: [Int], groupNames: [String], groupParts: [[String]]? = nil,
        rowIDs: [UInt64], threshold: Double, resamples: Int, seed: UInt64, threads: Int = 2
    ) throws {
        guard resamples >= 0 else { throw FairnessError.invalidOption(name: "bootstrap", reason: "must be ≥ 0") }
        guard threshold.isFinite else { throw FairnessError.invalidOption(name: "threshold", reason: "must be finite") }
        guard rowIDs.count == scores.count else {
            throw FairnessError.lengthMismatch(scores: scores.count, labels: labels.count, groups: rowIDs.count)
        }
        let table = try CellTable(
            scores: scores, labels: labels, rowGroups: rowGroups,
            groupCount: groupNames.count, threshold: threshold)
        self.groupNames = groupNames
        self.groupParts = groupParts ?? groupNames.map { [$0] }
        cells = table.cells
        scoreSums = table.scoreSums
        self.threshold = threshold
        self.resamples = resamples
        self.seed = seed
        if let small = table.smallCodes {
            bootstrapCells = FairnessBootstrap.poissonCells(
                codes: small, rowIDs: rowIDs, groupCount: groupNames.count,
                resamples: resamples, seed: seed, threads: threads)
        } else {
            bootstrapCells = FairnessBootstrap.poissonCells(
                codes: table.codes, rowIDs: rowIDs, groupCount: groupNames.count,
                resamples: resamples, seed: seed, threads: threads)
        }
    }

    /// Creates a partial from its fields (as read back from a file).
    public init(
        groupNames: [String], groupParts: [[String]], cells: [Int], scoreSums: [Double], threshold: Double,
        resamples: Int, seed: UInt64, bootstrapCells: [Int]
    ) throws {
        let g = groupNames.count
        guard groupParts.count == g, cells.count == 4 * g, scoreSums.count == g,
            bootstrapCells.count == resamples * 4 * g, cells.allSatisfy({ $0 >= 0 })
        else {
            throw FairnessError.invalidOption(
                name: "partial",
                reason:
                    "has \(g) groups but \(cells.count) cells, \(scoreSums.count) score sums and \(bootstrapCells.count) bootstrap cells for \(resamples) replicates"
            )
        }
        self.groupNames = groupNames
        self.groupParts = groupParts
        self.cells = cells
        self.scoreSums = scoreSums
        self.threshold = threshold
        self.resamples = resamples
        self.seed = seed
        self.bootstrapCells = bootstrapCells
    }

    /// The sum of `parts` (same threshold, replicates and seed), with the
    /// groups of all of them in the data's order: sorted by their values,
    /// column by column. Score sums add in the order the parts are given.
    public static func merged(_ parts: [FairnessPartial]) throws -> FairnessPartial {
        guard let first = parts.first else { throw FairnessError.invalidOption(name: "partials", reason: "are none") }
        for p in parts where p.threshold != first.threshold || p.resamples != first.resamples || p.seed != first.seed {
            throw FairnessError.invalidOption(
                name: "partials", reason: "disagree on threshold, bootstrap resamples or seed")
        }
        var partsByGroup = [String: [String]]()
        for p in parts {
            for (n, q) in zip(p.groupNames, p.groupParts) where partsByGroup[n] == nil { partsByGroup[n] = q }
        }
        let names = partsByGroup.keys.sorted { a, b in
            let pa = partsByGroup[a] ?? []
            let pb = partsByGroup[b] ?? []
            return pa == pb ? a < b : pa.lexicographicallyPrecedes(pb)
        }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let g = names.count
        let r = first.resamples
        var cells = [Int](repeating: 0, count: 4 * g)
        var sums = [Double](repeating: 0, count: g)
        var boot = [Int](repeating: 0, count: r * 4 * g)
        for p in parts {
            let local = p.groupNames.count
            for (j, name) in p.groupNames.enumerated() {
                guard let to = index[name] else { continue }
                sums[to] += p.scoreSums[j]
                for c in 0..<4 { cells[4 * to + c] += p.cells[4 * j + c] }
                for b in 0..<r {
                    for c in 0..<4 { boot[b * 4 * g + 4 * to + c] += p.bootstrapCells[b * 4 * local + 4 * j + c] }
                }
            }
        }
        return try FairnessPartial(
            groupNames: names, groupParts: names.map { partsByGroup[$0] ?? [$0] }, cells: cells,
            scoreSums: sums, threshold: first.threshold, resamples: r, seed: first.seed,
            bootstrapCells: boot)
    }
}
