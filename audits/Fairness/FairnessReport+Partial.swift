import FairAudit
import Foundation

extension FairnessReport {
    /// The report with Poisson-bootstrap intervals for every gap: the rows'
    /// partial (``FairnessPartial``, row ids `rowIDs`, default their
    /// positions) turned into a report, as `fairaudit merge` does for many.
    /// `resamples` replicates (0 turns them off) at level `confidence`, seeded
    /// by `seed`, on `threads` threads.
    public init(
        scores: [Float], labels: [Float], rowGroups: [Int], groupNames: [String],
        threshold: Double = 0.5, minGroupSize: Int = 30, resamples: Int, confidence: Double = 0.95,
        seed: UInt64 = 0, rowIDs: [UInt64]? = nil, threads: Int = 2
    ) throws {
        let ids = rowIDs ?? (0..<scores.count).map { UInt64($0) }
        let partial = try FairnessPartial(
            scores: scores, labels: labels, rowGroups: rowGroups, groupNames: groupNames,
            rowIDs: ids, threshold: threshold, resamples: resamples, seed: seed,
            threads: threads)
        try self.init(partial: partial, minGroupSize: minGroupSize, confidence: confidence)
    }

    /// The report of a partial (one shard's, or the merge of all): the point
    /// estimates from its cells; each gap's and each group rate's interval
    /// from the replicate cells, over the groups the point estimate keeps
    /// (not small); a group a replicate missed is skipped in it.
    public init(partial p: FairnessPartial, minGroupSize: Int = 30, confidence: Double = 0.95) throws {
        guard confidence > 0, confidence < 1 else {
            throw FairnessError.invalidOption(name: "confidence", reason: "must lie strictly between 0 and 1")
        }
        let g = p.groupNames.count
        let table = CellTable(cells: p.cells, scoreSums: p.scoreSums, groupCount: g)
        try self.init(table: table, groupNames: p.groupNames, threshold: p.threshold, minGroupSize: minGroupSize)
        resamples = p.resamples
        self.confidence = confidence
        seed = p.seed
        guard p.resamples > 0, g > 0 else { return }
        let included = (0..<g).map { table.counts($0).count >= max(minGroupSize, 1) }
        let boot: [BootstrapSample] = (0..<p.resamples).map { b in
            let all = p.bootstrapCells.withUnsafeBufferPointer { c in
                (0..<g).map { ConfusionCounts(cells: c, offset: b * 4 * g + 4 * $0) }
            }
            let gaps = FairnessGaps(groups: (0..<g).filter { included[$0] }.map { all[$0] })
            return BootstrapSample(gaps: gaps, rates: all.flatMap(BootstrapSample.rates))
        }
        let gapValues = boot.map(\.gaps.values)
        intervals = FairnessGaps.names.indices.map { m in
            FairnessBootstrap.interval(gapValues.map { $0[m] }, confidence: confidence)
        }
        for (i, row) in groups.enumerated() {
            guard let index = p.groupNames.firstIndex(of: row.group) else { continue }
            groups[i].intervals = (0..<4).map { m in
                FairnessBootstrap.interval(boot.map { $0.rates[4 * index + m] }, confidence: confidence)
            }
        }
    }
}
