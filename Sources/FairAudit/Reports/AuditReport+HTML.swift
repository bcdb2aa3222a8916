import Foundation

extension AuditReport {
    /// The self-contained HTML page: summary, each audit's tables, the gate.
    public var html: String {
        var page = HTMLReport(title: "fairaudit: \(URL(fileURLWithPath: model).lastPathComponent) — \(passed ? "passed" : "failed")")
        page.add("Summary", "<p>\(Markup.escape(header))</p>")
        for r in results {
            page.add(r.name.capitalized, HTMLReport.pre(r.text))
        }
        if !checks.isEmpty {
            var t = TextTable(headers: ["check", "value", "limit", "result"], rightAligned: [1, 2])
            for c in checks { t.add([c.name, Format.g(c.value, 4), Format.g(c.limit, 4), c.passed ? "pass" : "FAIL"]) }
            page.add("Gate", HTMLReport.table(t))
        }
        return page.rendered()
    }
}
