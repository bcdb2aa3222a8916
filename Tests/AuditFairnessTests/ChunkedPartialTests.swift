import AuditFairness
import AuditFisher
import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `audit --partial` reads its rows in chunks (memory flat in the row count):
/// any chunk size gives the same sums, and a bad row is named by its line in
/// the whole file.
@Suite struct ChunkedPartialTests {
    static let adult = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/adult")

    static func request(_ data: URL) throws -> AuditRequest {
        var o = AuditOptions()
        o.bootstrap = 50
        o.audits[FisherAudit.self].permutations = 3
        // The Fisher's null draws with every group's row count over all shards.
        let rows = try LabeledData.load(
            from: adult.appendingPathComponent("groups.csv"),
            options: CSVDataOptions(label: "income", groups: ["sex", "race"], ignore: []))
        var counts: [String: Int] = [:]
        for g in rows.rowGroups { counts[rows.groupNames[g], default: 0] += 1 }
        o.nullCounts = counts
        return AuditRequest(
            model: adult.appendingPathComponent("model.h5"), data: data,
            dataOptions: CSVDataOptions(label: "income", groups: ["sex", "race"], ignore: []), options: o)
    }

    @Test(arguments: [1 << 16, 150_000])
    func chunkSizeDoesNotChangeTheSums(chunkBytes: Int) throws {
        let data = Self.adult.appendingPathComponent("groups.csv")
        let whole = try AuditRunner.partial(try Self.request(data), modelPath: "model.h5", chunkBytes: 64 << 20)
        let chunked = try AuditRunner.partial(try Self.request(data), modelPath: "model.h5", chunkBytes: chunkBytes)
        #expect(whole.rows == 2000 && chunked.rows == 2000)
        #expect(chunked.rowIDs == RowIDRanges(ranges: [0...1999]))
        let a = whole.fairness
        let b = try FairnessPartial.merged([chunked.fairness])
        #expect(a.groupNames == b.groupNames)
        #expect(a.cells == b.cells)
        #expect(a.bootstrapCells == b.bootstrapCells)
        // Score sums add float32 scores: the rows are scored in blocks that a chunk boundary moves,
        // and some OpenBLAS kernels (Haswell's) round a row differently at another place in its
        // block, so the sums agree to float32 precision (2e-9 relative seen there), not bit for bit.
        for (x, y) in zip(a.scoreSums, b.scoreSums) { #expect(abs(x - y) <= 1e-7 * Swift.max(1.0, abs(x))) }
        #expect(whole.featureNames == chunked.featureNames && whole.modelHash == chunked.modelHash)
        // The Fisher sums: double sums of the same per-row squares in another grouping.
        // (A partial lists groups as its chunks met them; the merge puts them in the data's order.)
        let order = a.groupNames
        let f = try FisherPartial.merged([try #require(whole.fisher)], order: order)
        let g = try FisherPartial.merged([try #require(chunked.fisher)], order: order)
        #expect(f.groupNames == g.groupNames && f.counts == g.counts && f.nullRows == g.nullRows)
        for (x, y) in zip(f.sums.joined().joined(), g.sums.joined().joined()) { #expect(abs(x - y) <= 1e-12 * abs(x)) }
        for (x, y) in zip(f.nullSums.joined().joined().joined(), g.nullSums.joined().joined().joined()) {
            #expect(abs(x - y) <= 1e-12 * abs(x))
        }
    }

    @Test func aBadRowIsNamedByItsLineInTheWholeFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-chunks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = try String(contentsOf: Self.adult.appendingPathComponent("groups.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        // Line 1801 (data row 1800): its first feature cell is not a number.
        lines[1800] = "abc" + lines[1800].drop(while: { $0 != "," })
        let bad = dir.appendingPathComponent("bad.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: bad, atomically: true, encoding: .utf8)
        #expect {
            try AuditRunner.partial(try Self.request(bad), modelPath: "model.h5", chunkBytes: 1 << 16)
        } throws: { error in
            "\(error)".contains("line 1801") && "\(error)".contains("'age'")
        }
    }
}
