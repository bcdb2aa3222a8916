import Foundation
import Testing

@testable import FairAudit

/// Bad input gives one sentence naming the file, the line and the column.
@Suite struct CSVErrorTests {
    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let text: [UInt8]
        var options = CSVDataOptions(label: "y", groups: ["g"])
        let message: String
        var description: String { name }
    }

    static func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let cases: [Case] = [
        Case(
            name: "missing label", text: utf8("a,b,g\n1,2,M\n"),
            message: "line 1: there is no label column 'y' in the header"),
        Case(
            name: "missing group", text: utf8("a,y,h\n1,0,M\n"),
            message: "line 1: there is no group column 'g' in the header"),
        Case(
            name: "non-numeric", text: utf8("a,b,y,g\n1,2,0,M\n3,abc,1,F\n"),
            message: "line 3, column 'b': the feature cell 'abc' is not a number"),
        Case(
            name: "empty cell", text: utf8("a,b,y,g\n1,,0,M\n"),
            message: "line 2, column 'b': the feature cell is empty"),
        Case(
            name: "NaN", text: utf8("a,b,y,g\n1,2,0,M\nNaN,2,1,F\n"),
            message: "line 3, column 'a': the feature cell 'NaN' is not finite"),
        Case(
            name: "infinity", text: utf8("a,b,y,g\n1,-inf,0,M\n"),
            message: "line 2, column 'b': the feature cell '-inf' is not finite"),
        Case(name: "ragged", text: utf8("a,b,y,g\n1,2,0,M\n1,2,0\n"), message: "line 3: 3 fields, the header has 4"),
        Case(
            name: "label not binary", text: utf8("a,y,g\n1,0,M\n2,2,F\n"),
            message: "line 3, column 'y': the label '2' is not binary"),
        Case(
            name: "label third value", text: utf8("a,y,g\n1,lo,M\n2,hi,F\n3,mid,F\n"),
            options: CSVDataOptions(label: "y", groups: ["g"], positive: "hi"),
            message: "line 4, column 'y': the label 'mid' is a third value after 'hi' and 'lo'"),
        Case(
            name: "positive absent", text: utf8("a,y,g\n1,lo,M\n2,mid,F\n"),
            options: CSVDataOptions(label: "y", groups: ["g"], positive: "hi"),
            message: "the positive label 'hi' never occurs in column 'y'"),
        Case(
            name: "non-UTF-8", text: utf8("a,y,g\n1,0,M\n2,1,") + [0xC3, 0x28] + utf8("\n"),
            message: "line 3, column 'g': the text is not valid UTF-8"),
        Case(
            name: "long line", text: utf8("a,y,g\n1,0,M\n" + String(repeating: "1", count: 100) + ",0,M\n"),
            options: CSVDataOptions(label: "y", groups: ["g"], maxLineBytes: 64),
            message: "line 3: the record is longer than 64 bytes"),
        Case(
            name: "feature count", text: utf8("a,b,y,g\n1,2,0,M\n"),
            options: CSVDataOptions(label: "y", groups: ["g"], expectedFeatureCount: 80),
            message:
                "the data has 2 feature columns (a, b: every column but the label, groups and ignored ones) but the model takes 80 inputs; leave columns out with --ignore COL"
        ),
        Case(
            name: "unclosed quote", text: utf8("a,y,g\n1,0,\"M\n"),
            message: "line 2: a quoted field is not closed before the end of the file"),
        Case(name: "empty file", text: [], message: "the file is empty (no header row)"),
    ]

    @Test(arguments: cases)
    func badInput(c: Case) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fa-csv-\(UUID().uuidString).csv")
        try Data(c.text).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try LabeledData.load(from: url, options: c.options)
            Issue.record("\(c.name): no error")
        } catch let error as FairAuditError {
            let text = error.description
            #expect(text.hasPrefix(url.path + ": "), "\(text)")
            #expect(text.contains(c.message), "\(text)")
            #expect(!text.contains("\n"))
        }
    }

    /// Rows with an empty group cell are skipped and counted; a quoted empty feature is still empty.
    @Test func emptyGroupCellIsSkipped() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fa-csv-\(UUID().uuidString).csv")
        try Data("a,y,g,h\n1,0,M,x\n2,1,,x\n3,true,F,\n4,FALSE,F,y\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let (data, skipped) = try LabeledData.loadCSV(
            from: url, options: CSVDataOptions(label: "y", groups: ["g", "h"]))
        #expect(skipped == 2)
        #expect(data.features == [1, 4])
        #expect(data.labels == [0, 0])
        #expect(data.groupNames == ["F & y", "M & x"])
        #expect(data.rowGroups == [1, 0])
    }

    /// Records that straddle the reader's 256 KiB chunks, with quoted newlines, parse whole.
    @Test func recordsAcrossChunkBoundaries() throws {
        var text = "id,\"note\",y,g\n"
        for i in 0..<40_000 { text += "\(i),\"two\nlines, \"\"q\"\"\",\(i % 2),\(i % 3 == 0 ? "A" : "B")\r\n" }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fa-csv-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let data = try LabeledData.load(from: url, options: CSVDataOptions(label: "y", groups: ["g"], ignore: ["note"]))
        #expect(data.rowCount == 40_000)
        #expect(data.features == (0..<40_000).map(Float.init))
        #expect(data.rowGroups.filter { $0 == 0 }.count == 13_334)
    }

    /// A gzip file cut short or with damaged bytes names the file and the problem.
    @Test(arguments: ["truncated", "corrupt"])
    func damagedGzip(kind: String) throws {
        var bytes = [UInt8](try Data(contentsOf: Fixtures.url("adult_sample.csv", "gz")))
        if kind == "truncated" {
            bytes = Array(bytes.prefix(bytes.count / 2))
        } else {
            for i in 2000..<2400 { bytes[i] ^= 0x5A }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fa-csv-\(UUID().uuidString).csv.gz")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            _ = try LabeledData.load(
                from: url, options: CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"]))
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(url.path)
                && text.contains(kind == "truncated" ? "the gzip stream is truncated" : "corrupt gzip data")
        }
    }
}
