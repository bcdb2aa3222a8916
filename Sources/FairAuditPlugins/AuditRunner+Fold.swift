import FairAudit
import Foundation

extension AuditRunner {
    /// True when every audit of `request` folds rows into sums
    /// (``StreamingAudit``), so the rows need not be held.
    static func canFold(_ request: AuditRequest) -> Bool {
        !request.audits.isEmpty && request.audits.allSatisfy { $0 is any StreamingAudit.Type }
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
        let t0 = Date()
        let offset = request.options.rowOffset
        let byColumn = request.rowIDColumn != nil
        let folded = try DataLoading.fold(
            from: request.data, options: withRowIDColumn(request, options), network: network,
            tuning: request.readTuning, arrayChunkRows: request.arrayChunkRows
        ) { chunk in
            let ids: [UInt64]
            if byColumn, let column = chunk.kept.last {
                ids = column.map { UInt64($0) ?? CounterRandom.fnv1a($0) }
            } else {
                ids = (0..<chunk.rows).map { offset &+ UInt64(chunk.firstRow + $0) }
            }
            try scorer.push(
                features: chunk.features, rows: chunk.rows, labels: chunk.labels, groups: chunk.groups,
                ids: ids, firstRow: chunk.firstRow)
        }
        try scorer.finish()
        let wall = Date().timeIntervalSince(t0)
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
