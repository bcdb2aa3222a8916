import Foundation

/// One self-contained HTML page (inline CSS and SVG, no scripts, nothing
/// fetched) holding a report's sections.
public struct HTMLReport: Sendable {
    /// A titled block of the page; `html` is trusted markup made by fairaudit.
    public struct Section: Sendable {
        /// The `<h2>` text.
        public var heading: String
        /// The body.
        public var html: String
        /// Creates a section.
        public init(heading: String, html: String) {
            self.heading = heading
            self.html = html
        }
    }

    /// The page's `<title>` and `<h1>`.
    public var title: String
    /// The sections, in order.
    public var sections: [Section] = []

    /// Creates an empty report.
    public init(title: String) { self.title = title }

    /// Adds a section.
    public mutating func add(_ heading: String, _ html: String) {
        sections.append(Section(heading: heading, html: html))
    }

    /// An HTML table of `table`'s headers and rows, text escaped.
    public static func table(_ table: TextTable) -> String {
        var s =
            "<table><thead><tr>" + table.headers.map { "<th>\(Markup.escape($0))</th>" }.joined()
            + "</tr></thead><tbody>\n"
        for row in table.rows {
            s +=
                "<tr>"
                + row.enumerated().map { i, c in
                    "<td\(table.rightAligned.contains(i) ? " class=\"n\"" : "")>\(Markup.escape(c))</td>"
                }.joined() + "</tr>\n"
        }
        return s + "</tbody></table>"
    }

    /// `text` in a `<pre>` block, escaped.
    public static func pre(_ text: String) -> String { "<pre>\(Markup.escape(text))</pre>" }

    /// A chart in a `<figure>` with a visible caption (the chart's `<title>` is its accessible name).
    public static func figure(_ canvas: SVGCanvas, caption: String) -> String {
        "<figure>\(canvas.svg())\n<figcaption>\(Markup.escape(caption))</figcaption></figure>"
    }

    /// The page's style: system fonts only, tables with tabular numbers,
    /// charts shrinking to the page, and a print layout that keeps a chart
    /// or a table row on one page, in landscape so the charts keep their
    /// size, with intervals under their values, and colours as drawn.
    static let style = """
        body{font-family:Arial,Helvetica,sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#1f2328;line-height:1.4}
        h1{font-size:1.45rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
        h3{font-size:1rem;margin:1.2rem 0 .3rem}
        table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.88rem}caption{text-align:left;font-weight:bold;padding:.2rem 0}
        td,th{padding:.18rem .55rem;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
        thead th{border-bottom:2px solid #8c959f;background:#f6f8fa}tbody th{font-weight:normal}
        .n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.ci{color:#57606a;font-size:.8em}
        .pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}tr.failed{background:#ffebe9}
        td.hi{background:#ffe2cc}td.lo{background:#d8e8ff}tr.small{color:#6e7781;font-style:italic}
        .verdict{display:inline-block;padding:.25rem .7rem;border-radius:.3rem;font-weight:bold;color:#fff}
        .verdict.pass{background:#1a7f37}.verdict.fail{background:#cf222e}.verdict.none{background:#57606a}.muted{color:#57606a}.note{color:#57606a;font-size:.85rem;margin-top:-.6rem}
        figure{margin:.6rem 0 1.2rem}figcaption{font-size:.85rem;color:#57606a;max-width:60rem}
        svg{max-width:100%;height:auto;display:block}
        .bar{display:inline-block;height:.7em;background:#4C72B0;vertical-align:middle}
        pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.8rem}
        @page{size:landscape;margin:12mm}
        @media print{body{max-width:none;margin:0;font-size:10pt}figure,tr{break-inside:avoid}h2,h3{break-after:avoid}
        table{font-size:8.5pt}.ci{display:block}
        *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
        """

    /// The whole page; `lead` goes right under the title (the verdict).
    public func rendered(lead: String = "") -> String {
        var s = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Markup.escape(title))</title>
            <style>
            \(Self.style)
            </style></head><body>
            <h1>\(Markup.escape(title))</h1>
            \(lead)

            """
        for section in sections {
            s += "<h2>\(Markup.escape(section.heading))</h2>\n\(section.html)\n"
        }
        return s
            + "<p class=\"muted\"><small>Written by fairaudit. One self-contained file: no scripts, no fonts or "
            + "images fetched.</small></p>\n</body></html>\n"
    }
}
