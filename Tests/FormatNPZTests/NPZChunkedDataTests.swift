import FairAudit
import FairAuditPlugins
import FormatNPZ
import Foundation
import Testing

/// `--data rows.npz` streams: each array is read a run of rows at a time from
/// its member (stored: copied from the mapping; deflated: inflated as far as
/// asked), so memory stays flat in N. The rows, labels and groups equal those
/// of reading every array whole (numpy wrote the files:
/// scripts/fixtures/make_npz_data_fixtures.py), and so does the audit.
@Suite struct NPZChunkedDataTests {
    static let adult = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/adult")
    static let options: CSVDataOptions = {
        var o = CSVDataOptions(label: "income", groups: ["sex", "race"])
        o.expectedFeatureCount = 80
        return o
    }()

    static func network() throws -> Network {
        try Network(graph: Plugins.formats.read(adult.appendingPathComponent("model.h5")))
    }

    /// Stored, deflated, and `x` in Fortran order (read whole, then cut), at
    /// chunk sizes from one row to more than all 300.
    @Test(arguments: ["adult_rows.npz", "adult_rows_z.npz", "adult_rows_fortran.npz"], [1, 7, 64, 1000])
    func chunkedRowsEqualTheWholeArrays(file: String, chunkRows: Int) throws {
        let url = try Fixtures.url(file)
        let network = try Self.network()
        let whole = try DataLoading.load(from: url, options: Self.options, network: network)
        var x: [Float] = []
        var labels: [Float] = []
        var groups: [Int] = []
        var chunks = 0
        let folded = try DataLoading.fold(from: url, options: Self.options, network: network, arrayChunkRows: chunkRows)
        { c in
            #expect(c.firstRow == labels.count && c.rows == c.labels.count && c.features.count == c.rows * 80)
            x += c.features
            labels += c.labels
            groups += c.groups
            chunks += 1
        }
        #expect(whole.rowCount == 300 && folded.data.rowCount == 300)
        #expect(chunks == (300 + chunkRows - 1) / chunkRows)
        #expect(x == whole.features)
        #expect(labels == whole.labels)
        #expect(groups.map { folded.groupOrder[$0] } == whole.rowGroups)
        #expect(folded.data.groupNames == whole.groupNames)
        #expect(folded.data.featureNames == whole.featureNames)
        #expect(Set(whole.groupNames).isSuperset(of: ["Male & White", "Female & Black"]))
    }

    /// The audit folded from 7-row chunks of the deflated file gives the
    /// report of every row held at once.
    @Test func foldedAuditEqualsTheWholeAudit() throws {
        let url = try Fixtures.url("adult_rows_z.npz")
        let network = try Self.network()
        let fairness = Plugins.audits.filter { $0.name == "fairness" }
        var o = AuditOptions()
        o.bootstrap = 30
        o.minGroupSize = 5
        var request = AuditRequest(
            model: Self.adult.appendingPathComponent("model.h5"), data: url, dataOptions: Self.options,
            options: o, audits: fairness)
        request.arrayChunkRows = 7
        let folded = try AuditRunner.run(request)
        #expect(folded.scores.isEmpty && folded.data.rowCount == 300)
        let data = try DataLoading.load(from: url, options: Self.options, network: network)
        let context = AuditContext(
            graph: folded.graph, data: data,
            scores: try network.shardInvariantScores(features: data.features, rows: data.rowCount),
            options: o)
        let whole = try #require(fairness.first).init().run(context)
        #expect(folded.results.first?.json == whole.json)
        #expect(folded.results.first?.text == whole.text)
    }

    /// A byte changed inside the stored `x` fails the member's CRC-32 once it
    /// is read to the end: exit 2 naming the file and member, no report.
    @Test func aDamagedMemberFailsItsCRC() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = try Data(contentsOf: try Fixtures.url("adult_rows.npz"))
        bytes[60_000] ^= 0x01  // inside x's 96,000 data bytes, which come first
        let bad = dir.appendingPathComponent("bad.npz")
        try bytes.write(to: bad)
        #expect {
            try DataLoading.fold(from: bad, options: Self.options, network: try Self.network(), arrayChunkRows: 50) {
                _ in
            }
        } throws: { error in
            let text = "\(error)"
            return text.contains("bad.npz") && text.contains("x.npy") && text.lowercased().contains("crc")
        }
    }
}
