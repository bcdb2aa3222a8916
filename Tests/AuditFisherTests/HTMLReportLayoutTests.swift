import AuditFairness
import AuditFisher
import FairAudit
import Foundation
import Testing

/// The HTML report at the sizes real audits reach (2, 10 and 40 groups; 3
/// and 200 tensors): the gate comes first, one Fisher heatmap instead of a
/// chart per pair, every chart titled, nothing fetched, no two labels of a
/// chart overlapping, and a 40-group page under 1 MB. The audit results are
/// made by the real fairness and Fisher analyses on synthetic rows.
@Suite struct HTMLReportLayoutTests {
    static let sizes: [(groups: Int, tensors: Int)] = [(2, 3), (2, 200), (10, 3), (10, 200), (40, 3), (40, 200)]

    @Test(arguments: sizes.indices)
    func structure(_ k: Int) throws {
        let (groupCount, tensorCount) = Self.sizes[k]
        let synth = try SyntheticAudit(groups: groupCount, tensors: tensorCount)
        let page = synth.report.html
        // FAIRAUDIT_REPORT_DIR=dir keeps each page there, to look at in a browser.
        if let dir = ProcessInfo.processInfo.environment["FAIRAUDIT_REPORT_DIR"] {
            try Data(page.utf8).write(
                to: URL(fileURLWithPath: dir).appendingPathComponent("synthetic_\(groupCount)g_\(tensorCount)t.html"))
        }

        // The gate table comes before every other table and chart, failed checks on top.
        let gate = try #require(page.range(of: "<table id=\"gate\""))
        #expect(page.range(of: "<table")?.lowerBound == gate.lowerBound)
        #expect(page.range(of: "<svg").map { $0.lowerBound > gate.lowerBound } == true)
        let gateRows = page[gate.upperBound...].components(separatedBy: "</table>")[0].components(separatedBy: "<tr")
            .dropFirst(2)
        let results = gateRows.map { $0.contains(">FAIL<") }
        #expect(results.contains(true) && results.contains(false))
        #expect(results == results.sorted { $0 && !$1 }, "failed checks first")

        // Two charts: the per-group rates and ONE Fisher heatmap, each with a <title> first.
        let svgs = Self.elements("svg", in: page)
        #expect(svgs.count == 2)
        for svg in svgs {
            #expect(svg.range(of: #"^<svg[^>]*>\n<title>[^<]+</title>"#, options: .regularExpression) != nil)
        }
        let heatmap = try #require(FisherHTML.heatmap(synth.fisher.json))
        let compared = synth.fisher.groups.filter(\.compared).count
        #expect(heatmap.columnLabels.count == (compared > 4 ? compared : compared * (compared - 1) / 2))
        #expect(heatmap.rowLabels.count == synth.layerCount)

        // Self-contained and accessible.
        #expect(page.range(of: "http", options: .caseInsensitive) == nil)
        #expect(
            !page.contains("<script") && !page.contains("<link") && !page.contains("src=") && !page.contains("@import"))
        #expect(
            page.components(separatedBy: "<table").count
                == page.components(separatedBy: "<thead><tr><th scope=\"col\">").count)

        // No two labels of a chart overlap, by the boxes of the emitted text, and all lie inside their chart.
        for svg in svgs {
            let (w, h) = try #require(Self.size(of: svg))
            let boxes = Self.textBoxes(in: svg)
            #expect(boxes.count > 3)
            for (i, a) in boxes.enumerated() {
                #expect(
                    a.x >= -0.5 && a.y >= -0.5 && a.x + a.width <= w + 0.5 && a.y + a.height <= h + 0.5,
                    "\(a.text) leaves the chart")
                for b in boxes[(i + 1)...] where a.overlaps(b) {
                    Issue.record("labels overlap: '\(a.text)' \(a) and '\(b.text)' \(b)")
                }
            }
        }

        // The gap's ends are the compared groups with the highest and lowest selection rate.
        let bigGroups = synth.fairness.groups.filter { !$0.small }
        let hi = try #require(bigGroups.max { $0.selectionRate < $1.selectionRate })
        let gaps = try #require(page.components(separatedBy: "<table id=\"gaps\"").last)
        let dpRow = try #require(
            gaps.components(separatedBy: "<tr>").first { $0.contains(">demographic parity difference<") })
        #expect(dpRow.contains("▲ \(Markup.escape(hi.group)):"))
        for small in synth.fairness.groups.filter(\.small) {
            #expect(page.contains(Markup.escape(small.group) + " (too small to compare)"))
        }
        if groupCount == 40 { #expect(page.utf8.count < 1_000_000, "\(page.utf8.count) bytes") }
    }

    /// Each `<name …>…</name>` element of `page`, whole.
    static func elements(_ name: String, in page: String) -> [String] {
        page.components(separatedBy: "<\(name) ").dropFirst().map {
            "<\(name) " + $0.components(separatedBy: "</\(name)>")[0]
        }
    }

    /// The `width` and `height` attributes of an `<svg>`.
    static func size(of svg: String) -> (Double, Double)? {
        guard let w = attribute("width", in: svg), let h = attribute("height", in: svg) else { return nil }
        return (w, h)
    }

    static func attribute(_ name: String, in tag: String) -> Double? {
        guard let r = tag.range(of: " \(name)=\"([-0-9.]+)\"", options: .regularExpression) else { return nil }
        return Double(tag[r].split(separator: "\"")[1])
    }

    /// The box of every `<text>` in `svg`, from its emitted position, size,
    /// anchor and rotation, by the same conservative glyph widths.
    static func textBoxes(in svg: String) -> [TextBox] {
        elements("text", in: svg).compactMap { el in
            guard let close = el.firstIndex(of: ">") else { return nil }
            let tag = String(el[..<close])
            var body = String(el[el.index(after: close)...])
            if let t = body.range(of: "</title>") { body = String(body[t.upperBound...]) }
            let text = body.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
                .replacingOccurrences(of: "&amp;", with: "&")
            let anchor =
                tag.range(of: "text-anchor=\"(start|middle|end)\"", options: .regularExpression)
                .map { String(tag[$0].split(separator: "\"")[1]) } ?? "start"
            guard let x = attribute("x", in: tag), let y = attribute("y", in: tag),
                let fs = attribute("font-size", in: tag)
            else { return nil }
            return TextBox(
                text: text, x: x, y: y, fontSize: fs, anchor: anchor, vertical: tag.contains("rotate(-90"),
                bold: tag.contains("font-weight=\"bold\""))
        }
    }
}

/// Shortening labels to fit: within the width, ends kept as asked.
@Suite struct TextFitTests {
    @Test(arguments: [40.0, 90.0, 200.0])
    func fitsAndKeepsEnds(width: Double) {
        let name = "transformer_block_11/multi_head_attention/query/kernel"
        let end = TextMetrics.fit(name, maxWidth: width, fontSize: 10)
        let middle = TextMetrics.fit(name, maxWidth: width, fontSize: 10, middle: true)
        for s in [end, middle] {
            #expect(TextMetrics.width(s, fontSize: 10) <= width)
            #expect(s.hasSuffix("…") || s.contains("…"))
        }
        #expect(name.hasPrefix(String(end.dropLast())))
        let parts = middle.components(separatedBy: "…")
        #expect(parts.count == 2 && name.hasPrefix(parts[0]) && name.hasSuffix(parts[1]))
        #expect(TextMetrics.fit("sex", maxWidth: width, fontSize: 10) == "sex")
    }

    @Test func verticalBoxTurnsAboutTheBaselinePoint() {
        let flat = TextBox(text: "Female", x: 100, y: 50, fontSize: 10, anchor: "start")
        let up = TextBox(text: "Female", x: 100, y: 50, fontSize: 10, anchor: "start", vertical: true)
        #expect(abs(up.height - flat.width) < 1e-9 && abs(up.width - flat.height) < 1e-9)
        #expect(abs(up.y + up.height - 50) < 1e-9 && up.x < 100 && up.x + up.width > 100)
    }
}
