import AuditFairness
import AuditFisher
import FairAudit
import Foundation

extension AuditRunner {
    /// The row-id column's ids: an unsigned integer as written, any other text
    /// by its FNV-1a 64 hash; the column is kept out of the features unless named as one.
    ///
    /// `options` also keeping the row-id column (and, unless it is a named
    /// feature, leaving it out of the features).
    static func withRowIDColumn(_ request: AuditRequest, _ options: CSVDataOptions) -> CSVDataOptions {
        guard let idColumn = request.rowIDColumn else { return options }
        var o = options
        o.keep.append(idColumn)
        if o.features == nil && !o.ignore.contains(idColumn) { o.ignore.append(idColumn) }
        return o
    }

    /// The ids of a chunk's rows: from the kept row-id column when there is
    /// one (an unsigned integer as written, other text by its FNV-1a 64
    /// hash), else `offset` plus the row's position in the data.
    static func rowIDs(of chunk: RowChunk, byColumn: Bool, offset: UInt64) -> [UInt64] {
        if byColumn, let column = chunk.kept.last {
            return column.map { UInt64($0) ?? CounterRandom.fnv1a($0) }
        }
        return (0..<chunk.rows).map { offset &+ UInt64(chunk.firstRow + $0) }
    }

    /// The row ids from the kept id column (removed from `data.kept`), nil without one.
    static func takeRowIDs(_ request: AuditRequest, from data: inout LabeledData) -> [UInt64]? {
        guard let idColumn = request.rowIDColumn,
            let column = data.kept.last(where: { $0.name == idColumn })
        else { return nil }
        data.kept.removeAll { $0.name == idColumn }
        return column.values.map { UInt64($0) ?? CounterRandom.fnv1a($0) }
    }

    /// Reads the model, then the rows as `audit` with every audit folding
    /// does (``folded(_:options:graph:network:timing:progress:)``): each
    /// parsed chunk scored and folded into the fairness sums and, when the
    /// request runs the Fisher audit, the Fisher sums of the same rows (its
    /// null drawing with `options.nullCounts`, which a shard must be given
    /// when there are permutation rounds), then dropped — memory flat in the
    /// number of rows (`fairaudit audit --partial`). Refuses a row id that
    /// appears twice.
    public static func partial(
        _ request: AuditRequest, modelPath: String, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> AuditPartial {
        let request = try checked(request)
        progress("reading \(request.model.lastPathComponent)")
        var graph = try request.formats.read(request.model, options: request.readOptions)
        try request.architecture(&graph)
        let network = try Network(graph: graph)
        guard let label = request.dataOptions.label else {
            throw FairAuditError.invalidInput(path: request.data.path, reason: "a partial audit needs a label column")
        }
        var options = request.dataOptions
        options.expectedFeatureCount = network.inputWidth
        if !DataLoading.isZip(request.data) {
            options = try DataLoading.csvOptions(options, network: network, source: request.data.path)
        }
        let o = request.options
        let fairness = try FairnessAccumulator(threshold: o.threshold, resamples: o.bootstrap, seed: o.seed)
        let fisher = try fisherStream(request, graph: graph)
        let scorer = StreamScorer(network: network) { rows in
            try fairness.fold(rows)
            try fisher?.fold(rows)
        }
        var ranges = RowIDRanges(ranges: [])
        let byColumn = request.rowIDColumn != nil
        let folded = try DataLoading.fold(
            from: request.data, options: withRowIDColumn(request, options), network: network,
            tuning: request.readTuning, arrayChunkRows: request.arrayChunkRows
        ) { chunk in
            let ids = rowIDs(of: chunk, byColumn: byColumn, offset: o.rowOffset)
            let (chunkRanges, duplicate) = RowIDRanges.of(ids)
            if let id = duplicate ?? RowIDRanges.firstOverlap([ranges, chunkRanges])?.id {
                throw FairAuditError.invalidInput(
                    path: request.dataOptions.standardInput ? "stdin" : request.data.path,
                    reason:
                        "row id \(id) appears twice\(request.rowIDColumn.map { " in column '\($0)'" } ?? ""); every row needs its own id"
                )
            }
            ranges = RowIDRanges.union([ranges, chunkRanges])
            progress("scoring rows \(chunk.firstRow + 1)–\(chunk.firstRow + chunk.rows)")
            try scorer.push(
                features: chunk.features, rows: chunk.rows, labels: chunk.labels, groups: chunk.groups,
                ids: ids, firstRow: chunk.firstRow)
        }
        try scorer.finish()
        var data = folded.data
        if let idColumn = request.rowIDColumn { data.kept.removeAll { $0.name == idColumn } }
        guard data.rowCount > 0 else {
            throw FairAuditError.invalidInput(path: data.source, reason: "has no rows to audit")
        }
        let sums = try fairness.partial(
            groupNames: data.groupNames, groupParts: FairnessAudit.groupParts(data), order: folded.groupOrder)
        var partial = AuditPartial(
            modelHash: try AuditPartial.modelHash(graph), model: modelPath, modelFormat: graph.format,
            modelLayout: graph.layout, dataSources: [data.source], label: label,
            positive: request.dataOptions.positive, groupColumns: data.groupColumns,
            featureNames: data.featureNames, options: o, rowIDs: ranges, fairness: sums)
        partial.fisher = try fisher?.partial(groupNames: data.groupNames, order: folded.groupOrder)
        partial.fisherTop = try FisherAudit.options(o).top
        return partial
    }

    /// The Fisher sums of a partial audit, nil when the request does not run
    /// the Fisher audit. With permutation rounds the shard must be told
    /// every group's row count over all shards (`options.nullCounts`): the
    /// null draws with those proportions, and a shard sees only its own.
    static func fisherStream(_ request: AuditRequest, graph: ModelGraph) throws -> FisherStream? {
        guard request.audits.contains(where: { $0 == FisherAudit.self }) else { return nil }
        if try FisherAudit.options(request.options).permutations > 0 && request.options.nullCounts == nil {
            throw FairAuditError.invalidInput(
                path: request.data.path,
                reason:
                    "a partial audit with Fisher permutation rounds needs every group's row count over all shards (--null-counts FILE), so that every shard draws the same permutation null; or pass --permutations 0 or --no-fisher"
            )
        }
        let (sums, partial) = try FisherAudit.accumulator(graph: graph, options: request.options) { [:] }
        return FisherStream(sums: sums, partial: partial)
    }

    /// The report of a (merged) partial: the fairness audit's result, with a
    /// model and data that stand in for what the parts read (format, layout,
    /// feature names, group columns, row count).
    public static func outcome(of partial: AuditPartial) throws -> AuditOutcome {
        let start = Date()
        let result = try FairnessAudit.result(
            partial.fairness, options: partial.options, groupColumns: partial.groupColumns)
        var results = [result]
        if let fisher = partial.fisher {
            var options = partial.options
            options.audits[FisherAudit.self].top = partial.fisherTop
            options.formats = Plugins.formats
            results.append(try FisherAudit.result(fisher, options: options))
        }
        let graph = ModelGraph(format: partial.modelFormat, layout: partial.modelLayout, tensors: [])
        let n = partial.rows
        let data = LabeledData(
            source: partial.dataSources.joined(separator: ","), featureNames: partial.featureNames,
            features: [], labels: [Float](repeating: 0, count: n), groupColumns: partial.groupColumns,
            groupNames: partial.fairness.groupNames, rowGroups: [])
        return AuditOutcome(
            graph: graph, data: data, scores: [], results: results,
            seconds: Date().timeIntervalSince(start), timing: [("merge_s", Date().timeIntervalSince(start))])
    }
}
