import FairAudit
import Foundation

extension AuditRunner {
    /// True when every audit of `request` folds rows into sums
    /// (``StreamingAudit``), so the rows need not be held.
    /// An audit that needs every group's row count first (the Fisher's
    /// permutation null) has them counted in a first pass over the data, so
    /// rows from standard input, which cannot be read twice, are held instead.
    static func canFold(_ request: AuditRequest) -> Bool {
        let streaming = request.audits.compactMap { $0 as? any StreamingAudit.Type }
        guard !request.audits.isEmpty, streaming.count == request.audits.count else { return false }
        return !request.dataOptions.standardInput || !streaming.contains { $0.needsGroupCounts(request.options) }
    }

    /// Every group's row count over all rows of `request.data`, named as the
    /// data names its groups, from a first pass that keeps nothing and, in a
    /// CSV, parses no feature cell (the rows counted are the rows the audit
    /// folds: a row that the second pass refuses stops the audit there).
    static func groupCounts(_ request: AuditRequest, options: CSVDataOptions, network: Network) throws -> [String: Int]
    {
        var counting = options
        if !DataLoading.isZip(request.data) {
            counting.features = []
            counting.expectedFeatureCount = nil
            counting.inputColumns = [:]
        }
        var perStream: [Int] = []
        let folded = try DataLoading.fold(
            from: request.data, options: counting, network: network, tuning: request.readTuning,
            arrayChunkRows: request.arrayChunkRows
        ) { chunk in
            for g in chunk.groups where g >= 0 {
                if g >= perStream.count { perStream += repeatElement(0, count: g + 1 - perStream.count) }
                perStream[g] += 1
            }
        }
        guard perStream.contains(where: { $0 > 0 }) else {
            // Said here, naming the data, before the audits ask for counts no group has.
            throw FairAuditError.invalidInput(
                path: request.data.path,
                reason: DataLoading.isZip(request.data) ? "holds no data rows" : "holds no data rows, only a header")
        }
        var counts: [String: Int] = [:]
        for (s, n) in perStream.enumerated() where s < folded.groupOrder.count {
            counts[folded.data.groupNames[folded.groupOrder[s]], default: 0] += n
        }
        return counts
    }

    /// The audits' results from one pass over the rows: each parsed chunk is
    /// scored (``StreamScorer``, the same scores as all rows at once) and
    /// folded into every audit's accumulator, then dropped. Returns the data
    /// without its rows (names, groups, ``LabeledData/foldedRows``).
    static func folded(
        _ request: AuditRequest, options: CSVDataOptions, graph: ModelGraph, network: Network,
        timing: inout [(String, Double)],
        progress: @escaping @Sendable (String) -> Void
    ) throws -> (LabeledData, [AuditResult]) {
        var request = request
        let t0 = Date()
        if request.audits.contains(where: {
            ($0 as? any StreamingAudit.Type)?.needsGroupCounts(request.options) == true
        }) {
            progress("counting the groups of \(request.data.lastPathComponent) (a first pass; --null-counts skips it)")
            request.options.nullCounts = try groupCounts(request, options: options, network: network)
        }
        let audits = try request.audits.map { audit -> (any Audit.Type, any AuditAccumulator) in
            guard let streaming = audit as? any StreamingAudit.Type else {
                throw FairAuditError.invalidInput(
                    path: request.data.path, reason: "the \(audit.name) audit needs every row at once")
            }
            return (audit, try streaming.accumulator(graph: graph, options: request.options))
        }
        var folding = [Double](repeating: 0, count: audits.count)
        let scorer = StreamScorer(network: network) { rows in
            for (k, audit) in audits.enumerated() {
                let t = Date()
                try audit.1.fold(rows)
                folding[k] += Date().timeIntervalSince(t)
            }
        }
        let offset = request.options.rowOffset
        let byColumn = request.rowIDColumn != nil
        let folded = try DataLoading.fold(
            from: request.data, options: withRowIDColumn(request, options), network: network,
            tuning: request.readTuning, arrayChunkRows: request.arrayChunkRows
        ) { chunk in
            let ids = rowIDs(of: chunk, byColumn: byColumn, offset: offset)
            try scorer.push(
                features: chunk.features, rows: chunk.rows, labels: chunk.labels, groups: chunk.groups,
                ids: ids, firstRow: chunk.firstRow)
        }
        try scorer.finish()
        let wall = Date().timeIntervalSince(t0)
        // A first pass counting the groups counts as reading.
        timing.append(("read_data_s", wall - scorer.scoringSeconds - folding.reduce(0, +)))
        timing.append(("predict_s", scorer.scoringSeconds))
        var data = folded.data
        if let idColumn = request.rowIDColumn { data.kept.removeAll { $0.name == idColumn } }
        try data.requireTwoGroups(for: "a fairness audit")
        let end = AuditStreamEnd(
            graph: graph, data: data, groupOrder: folded.groupOrder, options: request.options,
            progress: progress)
        var results: [AuditResult] = []
        for (k, (audit, sums)) in audits.enumerated() {
            progress("\(audit.name) audit")
            let t = Date()
            results.append(try sums.finish(end))
            timing.append((audit.timingKey, folding[k] + Date().timeIntervalSince(t)))
        }
        return (data, results)
    }
}
