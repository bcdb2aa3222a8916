import Foundation
import Testing

@testable import FairAudit

/// The streaming CSV reader against what pandas reads from the same files
/// (csv_expectations.json, written by scripts/fixtures/make_exec_fixtures.py).
@Suite struct CSVDataTests {
    struct Described: Decodable {
        let rows: Int
        let features: [String]
        let columnSums: [Double]
        let firstRows: [[Double]]
        let labelSum: Int
        let groupCounts: [String: Int]
    }
    struct Tiny: Decodable {
        let columns: [String]
        let features: [Double]
        let labels: [Double]
        let groups: [String]
    }
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
    struct Expectations: Decodable {
        let sampleSex: Described
        let headSexRace: Described
        let tinyQuoted: Tiny
    }

    static func expectations() throws -> Expectations {
        try Self.decoder.decode(Expectations.self, from: Data(contentsOf: Fixtures.url("csv_expectations", "json")))
    }

    func check(_ data: LabeledData, against e: Described) {
        #expect(data.rowCount == e.rows)
        #expect(data.featureNames == e.features)
        #expect(data.features.count == e.rows * e.features.count)
        let d = e.features.count
        var sums = [Double](repeating: 0, count: d)
        for r in 0..<data.rowCount { for j in 0..<d { sums[j] += Double(data.features[r * d + j]) } }
        #expect(close(sums, e.columnSums, rtol: 1e-12, atol: 1e-9))
        for (r, row) in e.firstRows.enumerated() {
            #expect(data.features[(r * d)..<(r * d + d)].map(Double.init) == row, "row \(r)")
        }
        #expect(Int(data.labels.reduce(0, +)) == e.labelSum)
        #expect(data.groupNames == e.groupCounts.keys.sorted())
        let counts = data.groupNames.map { name in data.rowGroups.filter { data.groupNames[$0] == name }.count }
        #expect(counts == data.groupNames.map { e.groupCounts[$0] ?? -1 })
    }

    @Test func plainSampleMatchesPandas() throws {
        try check(Fixtures.adultSample(), against: Self.expectations().sampleSex)
    }

    @Test func gzipSampleEqualsPlain() throws {
        let options = CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"], expectedFeatureCount: 80)
        let gz = try LabeledData.load(from: Fixtures.url("adult_sample.csv", "gz"), options: options)
        let plain = try Fixtures.adultSample()
        #expect(gz.features == plain.features && gz.labels == plain.labels && gz.rowGroups == plain.rowGroups)
    }

    @Test func concatenatedGzipMembersAndIntersections() throws {
        let data = try LabeledData.load(
            from: Fixtures.url("adult_head.csv", "gz"),
            options: CSVDataOptions(label: "income", groups: ["sex", "race"]))
        try check(data, against: Self.expectations().headSexRace)
        #expect(data.groupColumns == ["sex", "race"])
        #expect(data.groupNames.contains("Male & White"))
    }

    @Test func quotingBOMCRLFAndNamedPositive() throws {
        let e = try Self.expectations().tinyQuoted
        let data = try LabeledData.load(
            from: Fixtures.url("tiny_quoted", "csv"),
            options: CSVDataOptions(label: "y", groups: ["grp"], positive: "yes"))
        #expect(data.featureNames == Array(e.columns.prefix(2)))
        #expect(data.features.map(Double.init) == e.features)
        #expect(data.labels.map(Double.init) == e.labels)
        #expect(data.rowGroups.map { data.groupNames[$0] } == e.groups)
        #expect(data.groupNames == ["F", "M \"x\""])
        let swapped = try LabeledData.load(
            from: Fixtures.url("tiny_quoted", "csv"),
            options: CSVDataOptions(label: "y", groups: ["grp"], features: ["b, quoted", "a"], positive: "yes"))
        #expect(swapped.features == [2, 1.5, 4, -0.03, 6.25, 5])
    }
}
