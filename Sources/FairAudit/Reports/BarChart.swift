import Foundation

/// Horizontal bars in small multiples: one row per group (its name at the
/// left, its row count beside it), one panel per rate, one bar per series
/// (one for an audit, before and after for a fix), with interval whiskers
/// and a dashed line at the value over all rows. Rows set `apart` (groups
/// under the minimum size) are drawn below the others under a heading.
/// Readable at any group count: each row has its own line.
public struct BarChart: Sendable {
    /// A bar's value and its interval.
    public struct Value: Sendable {
        /// The point value (NaN: undefined, drawn as a dash).
        public var value: Double
        /// Its interval, drawn as a whisker.
        public var interval: ClosedRange<Double>?
        /// Creates a value.
        public init(_ value: Double, _ interval: ClosedRange<Double>? = nil) {
            self.value = value
            self.interval = interval
        }
    }

    /// One row: a group.
    public struct Row: Sendable {
        /// The group's name, drawn at the left (shortened with `…` when long).
        public var label: String
        /// Rows of data behind it.
        public var count: Int
        /// Drawn below the others, greyed (a group too small to be compared).
        public var apart: Bool
        /// `values[panel][series]`.
        public var values: [[Value]]
        /// Creates a row.
        public init(label: String, count: Int, apart: Bool = false, values: [[Value]]) {
            self.label = label
            self.count = count
            self.apart = apart
            self.values = values
        }
    }

    /// The chart's accessible name.
    public var title: String
    /// The panels' names (`selection rate`, `TPR`, …); values lie in 0…1.
    public var panels: [String]
    /// The series' names; one series draws no legend.
    public var series: [String]
    /// The rows, top to bottom (those `apart` go last).
    public var rows: [Row]
    /// Per panel, the value over all rows (a dashed line), if any.
    public var references: [Double?]
    /// The heading over the rows drawn apart.
    public var apartHeading: String

    /// Creates a chart.
    public init(
        title: String, panels: [String], series: [String] = [""], rows: [Row], references: [Double?] = [],
        apartHeading: String = "Too small to compare"
    ) {
        self.title = title
        self.panels = panels
        self.series = series
        self.rows = rows
        self.references = references
        self.apartHeading = apartHeading
    }

    /// Series colours: the first light, the last strong (before → after).
    static func colour(_ s: Int, of n: Int) -> String { n == 1 ? "#4C72B0" : (s == n - 1 ? "#2F5597" : "#B4C7E7") }

    /// Lays the chart out in `width` user units.
    public func canvas(width: Double = 900) -> SVGCanvas {
        let font = 11.0
        let small = 10.0
        let seriesCount = max(series.count, 1)
        let rowH = seriesCount == 1 ? 18.0 : 24.0
        let barH = seriesCount == 1 ? 11.0 : 9.0
        let labelW = min(max(rows.map { TextMetrics.width($0.label, fontSize: font) }.max() ?? 40, 40), 280)
        let countW = max(
            TextMetrics.width("rows", fontSize: small),
            rows.map { TextMetrics.width(Self.count($0.count), fontSize: small) }.max() ?? 0)
        let left = 6 + labelW + 10
        let countX = left + countW
        let gap = 22.0
        let plotX = countX + 14
        let panelW = max((width - plotX - 12 - gap * Double(panels.count - 1)) / Double(max(panels.count, 1)), 60)
        let main = rows.filter { !$0.apart }
        let apart = rows.filter(\.apart)
        let headerY = 16.0
        let firstRow = 26.0
        let apartTop = firstRow + Double(main.count) * rowH + (apart.isEmpty ? 0 : 30)
        let plotBottom = apartTop + Double(apart.count) * rowH
        let legendY = plotBottom + 36
        let height = legendY + 8
        var c = SVGCanvas(
            width: width, height: height, title: title,
            summary:
                "One row per group; bars are \(panels.joined(separator: ", ")) from 0 to 1, whiskers the intervals.")
        c.text("rows", x: countX, y: headerY, fontSize: small, anchor: "end", fill: "#555")
        func px(_ p: Int, _ v: Double) -> Double { plotX + Double(p) * (panelW + gap) + panelW * min(max(v, 0), 1) }
        for (p, name) in panels.enumerated() {
            let x0 = px(p, 0)
            c.text(
                TextMetrics.fit(name, maxWidth: panelW, fontSize: font, bold: true), x: x0, y: headerY,
                fontSize: font, bold: true, hover: name)
            for t in [0.0, 0.5, 1.0] {
                c.line(
                    x1: px(p, t), y1: firstRow - 4, x2: px(p, t), y2: plotBottom, stroke: t == 0 ? "#888" : "#e3e3e3")
                c.text(
                    Format.g(t, 2), x: px(p, t), y: plotBottom + 13, fontSize: small,
                    anchor: t == 0 ? "start" : t == 1 ? "end" : "middle", fill: "#555")
            }
            if p < references.count, let ref = references[p], ref.isFinite {
                c.line(x1: px(p, ref), y1: firstRow - 4, x2: px(p, ref), y2: plotBottom, stroke: "#333", dash: "3 3")
            }
        }
        if !apart.isEmpty {
            c.text(
                TextMetrics.fit(apartHeading, maxWidth: width - 12, fontSize: font), x: 6, y: apartTop - 10,
                fontSize: font, fill: "#8a5a00", hover: apartHeading)
        }
        for (i, row) in (main + apart).enumerated() {
            let top = i < main.count ? firstRow + Double(i) * rowH : apartTop + Double(i - main.count) * rowH
            let mid = top + rowH / 2
            let label = TextMetrics.fit(row.label, maxWidth: labelW, fontSize: font)
            c.text(
                label, x: 6, y: mid + 4, fontSize: font, fill: row.apart ? "#777" : nil,
                hover: label == row.label ? nil : row.label)
            c.text(Self.count(row.count), x: countX, y: mid + 4, fontSize: small, anchor: "end", fill: "#555")
            if i % 2 == 1 {
                c.rect(x: 2, y: top, width: width - 4, height: rowH, fill: "#000", extra: "fill-opacity=\"0.03\"")
            }
            for p in panels.indices where p < row.values.count {
                for (s, v) in row.values[p].enumerated() {
                    let y = top + (rowH - barH * Double(seriesCount)) / 2 + barH * Double(s)
                    let what = "\(row.label), \(panels[p])\(series[s].isEmpty ? "" : " " + series[s]): "
                    guard v.value.isFinite else {
                        c.rect(
                            x: px(p, 0), y: y + barH / 2 - 0.5, width: 6, height: 1, fill: "#999",
                            hover: what + "undefined")
                        continue
                    }
                    let ci = v.interval.map { " [\(Format.f($0.lowerBound, 3)), \(Format.f($0.upperBound, 3))]" } ?? ""
                    c.rect(
                        x: px(p, 0), y: y + 0.5, width: px(p, v.value) - px(p, 0), height: barH - 1,
                        fill: row.apart ? "url(#apart)" : Self.colour(s, of: seriesCount),
                        hover: what + Format.f(v.value, 3) + ci + ", \(row.count) rows")
                    if let iv = v.interval {
                        let a = px(p, iv.lowerBound)
                        let b = px(p, iv.upperBound)
                        let m = y + barH / 2
                        let h = barH / 2 - 1
                        c.path(
                            "M\(c.r(a)) \(c.r(m))H\(c.r(b))M\(c.r(a)) \(c.r(m - h))V\(c.r(m + h))M\(c.r(b)) "
                                + "\(c.r(m - h))V\(c.r(m + h))"
                        )
                    }
                }
            }
        }
        var lx = plotX
        if seriesCount > 1 {
            for (s, name) in series.enumerated() {
                c.rect(x: lx, y: legendY - 9, width: 12, height: 10, fill: Self.colour(s, of: seriesCount))
                c.text(name, x: lx + 16, y: legendY, fontSize: small)
                lx += 16 + TextMetrics.width(name, fontSize: small) + 16
            }
        }
        if references.contains(where: { $0 != nil }) {
            c.line(x1: lx, y1: legendY - 4, x2: lx + 18, y2: legendY - 4, stroke: "#333", dash: "3 3")
            c.text("all rows", x: lx + 22, y: legendY, fontSize: small)
            lx += 22 + TextMetrics.width("all rows", fontSize: small) + 16
        }
        if rows.contains(where: { $0.values.joined().contains { $0.interval != nil } }) {
            c.path(
                "M\(c.r(lx)) \(c.r(legendY - 4))H\(c.r(lx + 18))M\(c.r(lx)) "
                    + "\(c.r(legendY - 8))V\(c.r(legendY))M\(c.r(lx + 18)) \(c.r(legendY - 8))V\(c.r(legendY))"
            )
            c.text("interval", x: lx + 22, y: legendY, fontSize: small)
        }
        if !apart.isEmpty {
            c.raw(
                "<defs><pattern id=\"apart\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\"><rect width=\"4\" height=\"4\" fill=\"#ddd\"/><path d=\"M0 4L4 0\" stroke=\"#999\"/></pattern></defs>\n"
            )
        }
        return c
    }

    /// `1234567` as `1,234,567`.
    public static func count(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0, ch != "-" { out += "," }
            out.append(ch)
        }
        return out
    }
}
