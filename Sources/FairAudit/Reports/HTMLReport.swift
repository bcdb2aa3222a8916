import Foundation

/// One self-contained HTML page (inline CSS and SVG, no scripts, nothing
/// fetched) holding a report's sections.
public struct HTMLReport: Sendable {
    /// A titled block of the page; `html` is trusted markup made by fairaudit.
    public struct Section: Sendable {
        public var heading: String
        public var html: String
        public init(heading: String, html: String) { self.heading = heading; self.html = html }
    }

    public var title: String
    public var sections: [Section] = []

    /// Creates an empty report.
    public init(title: String) { self.title = title }

    /// Adds a section.
    public mutating func add(_ heading: String, _ html: String) { sections.append(Section(heading: heading, html: html)) }

    /// An HTML table of `table`'s headers and rows, text escaped.
    public static func table(_ table: TextTable) -> String {
        var s = "<table><thead><tr>" + table.headers.map { "<th>\(Markup.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in table.rows {
            s += "<tr>" + row.enumerated().map { i, c in
                "<td\(table.rightAligned.contains(i) ? " class=\"n\"" : "")>\(Markup.escape(c))</td>"
            }.joined() + "</tr>\n"
        }
        return s + "</tbody></table>"
    }

    /// `text` in a `<pre>` block, escaped.
    public static func pre(_ text: String) -> String { "<pre>\(Markup.escape(text))</pre>" }

    /// The whole page.
    public func rendered() -> String {
        var s = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Markup.escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
            td.n{text-align:right;font-variant-numeric:tabular-nums}.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}
            pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}
            </style></head><body>
            <h1>\(Markup.escape(title))</h1>

            """
        for section in sections {
            s += "<h2>\(Markup.escape(section.heading))</h2>\n\(section.html)\n"
        }
        return s + "<p><small>Written by fairaudit.</small></p>\n</body></html>\n"
    }
}
