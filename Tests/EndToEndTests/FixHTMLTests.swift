import FairAudit
import Foundation
import Testing

/// `fix --html`: one self-contained page with the before/after of every
/// gap, the per-group rates side by side, and per layer what was trained.
@Suite struct FixHTMLTests {
    @Test func beforeAfterAndLayers() throws {
        let dir = try CLI.temporaryDirectory()
        let page = dir.appendingPathComponent("fix.html")
        let r = try FixTests.fix(
            "Tests/FormatHDF5Tests/Resources/adult_mlp.h5", to: dir.appendingPathComponent("f.h5"),
            extra: ["--html", page.path])
        #expect(r.code == 0, "\(r.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.range(of: "http", options: .caseInsensitive) == nil && !html.contains("<script"))
        // One chart (rates before and after), titled; every table with header cells.
        #expect(html.components(separatedBy: "<svg ").count - 1 == 1)
        #expect(
            html.range(of: #"<svg[^>]*>\n<title>Per-group rates before and after"#, options: .regularExpression) != nil)
        #expect(
            html.components(separatedBy: "<table").count
                == html.components(separatedBy: "<thead><tr><th scope=\"col\">").count)
        for metric in ["accuracy", "demographic parity difference", "equalized odds difference"] {
            #expect(html.contains("<th scope=\"row\">\(metric)</th>"), "\(metric)")
        }
        // The per-layer trained counts add up to what the fixer reports it trained.
        let layers = try #require(
            html.components(separatedBy: "<table id=\"fix-layers\"").last?.components(separatedBy: "</table>").first)
        let trained = layers.components(separatedBy: "<tr>").dropFirst(2).compactMap { row -> Int? in
            let cells = row.components(separatedBy: "<td class=\"n\">").dropFirst()
            return cells.count >= 3
                ? Int(cells[cells.startIndex + 2].prefix { $0 != "<" }.replacingOccurrences(of: ",", with: "")) : nil
        }
        let reported = try #require(
            r.stdout.components(separatedBy: "trainable parameters: ").last?.prefix { $0.isNumber })
        #expect(trained.count == 3)
        #expect(trained.reduce(0, +) == Int(reported))
    }
}
