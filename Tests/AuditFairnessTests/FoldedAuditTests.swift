import AuditFairness
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `audit --no-fisher` folds the rows into the fairness sums chunk by chunk
/// (nothing holds all rows): the result is the one of all rows at once, bit
/// for bit — the same scores (blocks aligned on the row's position), the
/// same integer cells and replicate cells, score sums added in the same row order.
@Suite struct FoldedAuditTests {
    static let adult = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/adult")

    /// Folding the Adult scores in uneven runs (1 row, a prime, more than a
    /// scoring block, …) gives the partial of all rows at once, exactly.
    @Test(arguments: [[15060], [1, 7, 511, 1000, 4096, 9445], [3000, 1, 1, 12058]])
    func runsOfAnySizeGiveTheWholePartial(runs: [Int]) throws {
        let d = try AdultScores.load()
        let (names, rows) = d.groups(["sex", "race"])
        // The data's order: sorted names; stream ids are first appearance.
        let sorted = names.sorted()
        let order = names.map { n in sorted.firstIndex(of: n) ?? -1 }
        let ids = (0..<d.scores.count).map { UInt64($0) * 3 + 11 }
        let whole = try FairnessPartial(
            scores: d.scores, labels: d.labels, rowGroups: rows.map { order[$0] },
            groupNames: sorted, groupParts: sorted.map { $0.components(separatedBy: " & ") },
            rowIDs: ids, threshold: 0.5, resamples: 60, seed: 9)
        let sums = try FairnessAccumulator(threshold: 0.5, resamples: 60, seed: 9)
        var start = 0
        for n in runs {
            try d.scores.withUnsafeBufferPointer { s in
                try d.labels.withUnsafeBufferPointer { l in
                    try rows.withUnsafeBufferPointer { g in
                        try ids.withUnsafeBufferPointer { i in
                            let r = start..<(start + n)
                            try sums.fold(
                                AuditRows(
                                    firstRow: start, count: n, features: UnsafeBufferPointer(start: nil, count: 0),
                                    scores: UnsafeBufferPointer(rebasing: s[r]),
                                    labels: UnsafeBufferPointer(rebasing: l[r]),
                                    groups: UnsafeBufferPointer(rebasing: g[r]),
                                    rowIDs: UnsafeBufferPointer(rebasing: i[r])))
                        }
                    }
                }
            }
            start += n
        }
        #expect(start == d.scores.count)
        let folded = try sums.partial(
            groupNames: sorted, groupParts: sorted.map { $0.components(separatedBy: " & ") },
            order: order)
        #expect(folded == whole)
    }

    /// A label other than 0/1 is named by its row among all rows.
    @Test func aBadLabelIsNamedByItsRow() throws {
        let sums = try FairnessAccumulator(threshold: 0.5, resamples: 3, seed: 0)
        let scores: [Float] = [0.2, 0.7]
        let labels: [Float] = [1, 2]
        let groups = [0, 1]
        let ids: [UInt64] = [0, 1]
        #expect(throws: FairnessError.nonBinaryLabel(row: 41, value: 2)) {
            try scores.withUnsafeBufferPointer { s in
                try labels.withUnsafeBufferPointer { l in
                    try groups.withUnsafeBufferPointer { g in
                        try ids.withUnsafeBufferPointer { i in
                            try sums.fold(
                                AuditRows(
                                    firstRow: 40, count: 2, features: UnsafeBufferPointer(start: nil, count: 0),
                                    scores: s, labels: l, groups: g, rowIDs: i))
                        }
                    }
                }
            }
        }
    }

    /// The runner's folded path on groups.csv, read in tiny blocks so chunks
    /// end at every kind of place (inside a scoring block, across blocks),
    /// against the fairness audit on every row held at once.
    @Test(arguments: [false, true])
    func foldedRunEqualsTheWholeRun(rowIDColumn: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-fold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = Self.adult.appendingPathComponent("groups.csv")
        var ids: [UInt64]?
        if rowIDColumn {
            // Text ids (hashed) in a column of their own, in the middle of the row.
            let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map(String.init)
            var out = ["row_key," + lines[0]]
            for (k, line) in lines.dropFirst().enumerated() { out.append("r\(k * 7 + 3),\(line)") }
            csv = dir.appendingPathComponent("keyed.csv")
            try (out.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)
            ids = (0..<(lines.count - 1)).map { CounterRandom.fnv1a("r\($0 * 7 + 3)") }
        }
        var options = AuditOptions()
        options.bootstrap = 40
        options.seed = 3
        options.rowOffset = rowIDColumn ? 0 : 1000
        let columns = CSVDataOptions(label: "income", groups: ["sex", "race"], ignore: [])
        var request = AuditRequest(
            model: Self.adult.appendingPathComponent("model.h5"), data: csv, dataOptions: columns,
            options: options, audits: [FairnessAudit.self])
        if rowIDColumn { request.rowIDColumn = "row_key" }
        var tuning = CSVReadTuning()
        tuning.blockBytes = 5000
        tuning.chunks = 3
        tuning.minChunkBytes = 700
        request.readTuning = tuning
        let folded = try AuditRunner.run(request)
        #expect(folded.scores.isEmpty && folded.data.labels.isEmpty && folded.data.rowGroups.isEmpty)

        let graph = try Plugins.formats.read(request.model)
        let network = try Network(graph: graph)
        var wholeColumns = columns
        wholeColumns.expectedFeatureCount = network.inputWidth
        if rowIDColumn { wholeColumns.ignore = ["row_key"] }
        let data = try LabeledData.load(from: csv, options: wholeColumns)
        var context = AuditContext(
            graph: graph, data: data,
            scores: try network.shardInvariantScores(features: data.features, rows: data.rowCount),
            options: options)
        context.rowIDs = ids
        let whole = try FairnessAudit().run(context)
        #expect(folded.data.rowCount == 2000 && data.rowCount == 2000)
        #expect(folded.data.groupNames == data.groupNames)
        #expect(folded.data.featureNames == data.featureNames)
        #expect(folded.results.count == 1)
        #expect(folded.results.first?.json == whole.json)
        #expect(folded.results.first?.text == whole.text)
        #expect(folded.results.first?.metrics == whole.metrics)
        #expect(folded.timing.map(\.0) == ["read_model_s", "read_data_s", "predict_s", "metrics_s"])
    }
}
