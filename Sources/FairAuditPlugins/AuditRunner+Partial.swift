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

    /// The row ids from the kept id column (removed from `data.kept`), nil without one.
    static func takeRowIDs(_ request: AuditRequest, from data: inout LabeledData) -> [UInt64]? {
        guard let idColumn = request.rowIDColumn,
            let column = data.kept.last(where: { $0.name == idColumn })
        else { return nil }
        data.kept.removeAll { $0.name == idColumn }
        return column.values.map { UInt64($0) ?? CounterRandom.fnv1a($0) }
    }

    /// Reads the model, then the rows in chunks of about `chunkBytes` of CSV
    /// (memory flat in the number of rows), scores each chunk and adds its
    /// sufficient statistics up (`fairaudit audit --partial`): the fairness
    /// cells and, when the request runs the Fisher audit, the Fisher sums of
    /// the same rows (its null drawing with `options.nullCounts`, which a
    /// shard must be given when there are permutation rounds). Refuses a row
    /// id that appears twice.
    public static func partial(
        _ request: AuditRequest, modelPath: String, chunkBytes: Int = 16 << 20,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> AuditPartial {
        let request = try checked(request)
        progress("reading \(request.model.lastPathComponent)")
        var graph = try request.formats.read(request.model, options: request.readOptions)
        try request.architecture(&graph)
        let network = try Network(graph: graph)
        guard let label = request.dataOptions.label else {
            throw FairAuditError.invalidInput(path: request.data.path, reason: "a partial audit needs a label column")
        }
        var options = try DataLoading.csvOptions(request.dataOptions, network: network, source: request.data.path)
        options.expectedFeatureCount = network.inputWidth
        if let idColumn = request.rowIDColumn {
            options.keep.append(idColumn)
            if options.features == nil && !options.ignore.contains(idColumn) { options.ignore.append(idColumn) }
        }
        let fisher = try fisherAccumulator(request, graph: graph)
        var total: FairnessPartial?
        var ranges = RowIDRanges(ranges: [])
        var source = request.data.path
        var featureNames: [String] = []
        var groupColumns = request.dataOptions.groups
        let rows = try LabeledData.forEachChunk(from: request.data, options: options, chunkBytes: chunkBytes) {
            chunk, before in
            var data = chunk
            source = data.source
            featureNames = data.featureNames
            groupColumns = data.groupColumns
            guard data.rowCount > 0 else { return }
            var ids = (0..<data.rowCount).map { request.options.rowOffset &+ UInt64(before + $0) }
            if let idColumn = request.rowIDColumn, let column = data.kept.last(where: { $0.name == idColumn }) {
                ids = column.values.map { UInt64($0) ?? CounterRandom.fnv1a($0) }
                data.kept.removeAll { $0.name == idColumn }
            }
            let (chunkRanges, duplicate) = RowIDRanges.of(ids)
            if let id = duplicate ?? RowIDRanges.firstOverlap([ranges, chunkRanges])?.id {
                throw FairAuditError.invalidInput(
                    path: data.source,
                    reason:
                        "row id \(id) appears twice\(request.rowIDColumn.map { " in column '\($0)'" } ?? ""); every row needs its own id"
                )
            }
            ranges = RowIDRanges.union([ranges, chunkRanges])
            progress("scoring rows \(before + 1)–\(before + data.rowCount)")
            let scores = try network.shardInvariantScores(features: data.features, rows: data.rowCount)
            var context = AuditContext(graph: graph, data: data, scores: scores, options: request.options)
            context.rowIDs = ids
            let part = try FairnessAudit.partial(context)
            total = try total.map { try FairnessPartial.merged([$0, part]) } ?? part
            try fisher?.0.add(
                features: data.features, labels: data.labels, rowGroups: data.rowGroups,
                groupNames: data.groupNames, rowIDs: ids)
        }
        guard let fairness = total, rows > 0 else {
            throw FairAuditError.invalidInput(path: source, reason: "has no rows to audit")
        }
        var partial = AuditPartial(
            modelHash: try AuditPartial.modelHash(graph), model: modelPath, modelFormat: graph.format,
            modelLayout: graph.layout, dataSources: [source], label: label,
            positive: request.dataOptions.positive, groupColumns: groupColumns,
            featureNames: featureNames, options: request.options, rowIDs: ranges, fairness: fairness)
        partial.fisher = fisher.map { $0.1($0.0) }
        partial.fisherTop = try FisherAudit.options(request.options).top
        return partial
    }

    /// The Fisher accumulator of a partial audit, nil when the request does
    /// not run the Fisher audit. With permutation rounds the shard must be
    /// told every group's row count over all shards (`options.nullCounts`):
    /// the null draws with those proportions, and a shard sees only its own.
    static func fisherAccumulator(
        _ request: AuditRequest, graph: ModelGraph
    ) throws
        -> (FisherAccumulator, (FisherAccumulator) -> FisherPartial)?
    {
        guard request.audits.contains(where: { $0 == FisherAudit.self }) else { return nil }
        if try FisherAudit.options(request.options).permutations > 0 && request.options.nullCounts == nil {
            throw FairAuditError.invalidInput(
                path: request.data.path,
                reason:
                    "a partial audit with Fisher permutation rounds needs every group's row count over all shards (--null-counts FILE), so that every shard draws the same permutation null; or pass --permutations 0 or --no-fisher"
            )
        }
        return try FisherAudit.accumulator(graph: graph, options: request.options) { [:] }
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
