import Foundation

/// An inline `<svg>` being drawn: shapes and labels in user units, each
/// label's box recorded from the same numbers the markup gets, so a caller
/// (or a test) can check that no two labels overlap.
public struct SVGCanvas: Sendable {
    /// Width and height in user units (also the drawn size in CSS pixels).
    public var width: Double, height: Double
    /// The chart's accessible name (the `<title>`), and a longer description.
    public var title: String, summary: String
    /// The boxes of every label drawn so far, in drawing order.
    public private(set) var labels: [TextBox] = []
    private var body = ""

    /// Creates an empty canvas.
    public init(width: Double, height: Double, title: String, summary: String = "") {
        self.width = width
        self.height = height
        self.title = title
        self.summary = summary
    }

    /// Draws `text` with its baseline at `(x, y)`; `fontSize` in user units,
    /// `anchor` `start`, `middle` or `end`, `vertical` reads bottom to top.
    /// `hover` becomes a `<title>` (the full text of a shortened label).
    public mutating func text(
        _ text: String, x: Double, y: Double, fontSize: Double = 11, anchor: String = "start",
        vertical: Bool = false, bold: Bool = false, fill: String? = nil, hover: String? = nil
    ) {
        guard !text.isEmpty else { return }
        labels.append(
            TextBox(text: text, x: x, y: y, fontSize: fontSize, anchor: anchor, vertical: vertical, bold: bold))
        var attrs = "x=\"\(r(x))\" y=\"\(r(y))\" font-size=\"\(r(fontSize))\""
        if anchor != "start" { attrs += " text-anchor=\"\(anchor)\"" }
        if vertical { attrs += " transform=\"rotate(-90 \(r(x)) \(r(y)))\"" }
        if bold { attrs += " font-weight=\"bold\"" }
        if let fill { attrs += " fill=\"\(fill)\"" }
        let tip = hover.map { "<title>\(Markup.escape($0))</title>" } ?? ""
        body += "<text \(attrs)>\(tip)\(Markup.escape(text))</text>\n"
    }

    /// A filled rectangle, with an optional `<title>` tooltip and extra attributes.
    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        hover: String? = nil, extra: String = ""
    ) {
        let tail = hover.map { "><title>\(Markup.escape($0))</title></rect>" } ?? "/>"
        body +=
            "<rect x=\"\(r(x))\" y=\"\(r(y))\" width=\"\(r(max(width, 0)))\" height=\"\(r(max(height, 0)))\" fill=\"\(fill)\"\(extra.isEmpty ? "" : " " + extra)\(tail)\n"
    }

    /// A straight line.
    public mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#444",
        width: Double = 1, dash: String? = nil
    ) {
        body +=
            "<line x1=\"\(r(x1))\" y1=\"\(r(y1))\" x2=\"\(r(x2))\" y2=\"\(r(y2))\" stroke=\"\(stroke)\""
            + (width == 1 ? "" : " stroke-width=\"\(r(width))\"") + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
            + "/>\n"
    }

    /// A path with data `d`.
    public mutating func path(_ d: String, stroke: String = "#222", width: Double = 1, fill: String = "none") {
        body += "<path d=\"\(d)\" stroke=\"\(stroke)\" stroke-width=\"\(r(width))\" fill=\"\(fill)\"/>\n"
    }

    /// A circle.
    public mutating func circle(cx: Double, cy: Double, radius: Double, fill: String, stroke: String? = nil) {
        body +=
            "<circle cx=\"\(r(cx))\" cy=\"\(r(cy))\" r=\"\(r(radius))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\"" } ?? "") + "/>\n"
    }

    /// Markup the caller built (patterns, groups); trusted.
    public mutating func raw(_ markup: String) { body += markup }

    /// The `<svg>` element (HTML5 inline SVG needs no namespace): `role="img"`,
    /// its `<title>` and `<desc>` first.
    public func svg() -> String {
        var s = "<svg role=\"img\" width=\"\(Int(width.rounded(.up)))\" height=\"\(Int(height.rounded(.up)))\""
        s +=
            " viewBox=\"0 0 \(Int(width.rounded(.up))) \(Int(height.rounded(.up)))\" font-family=\"Arial, Helvetica, sans-serif\">\n"
        s += "<title>\(Markup.escape(title))</title>\n"
        if !summary.isEmpty { s += "<desc>\(Markup.escape(summary))</desc>\n" }
        return s + body + "</svg>"
    }

    func r(_ v: Double) -> String {
        let x = (v * 10).rounded() / 10
        return x == x.rounded() ? String(Int(x)) : String(x)
    }
}
