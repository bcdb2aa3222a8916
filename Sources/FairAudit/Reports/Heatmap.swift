import Foundation

/// A grid of shaded cells: rows (layers) down the left, columns (group
/// comparisons) with their names read bottom to top above, the shade the
/// value (0 white to the largest value dark blue), and a ring on marked
/// cells (a permutation p-value under 0.05).
public struct Heatmap: Sendable {
    /// One cell's value (NaN: none), whether it is marked, and its tooltip.
    public struct Cell: Sendable {
        /// The value the shade shows.
        public var value: Double
        /// Draws a ring.
        public var marked: Bool
        /// The tooltip.
        public var hover: String?
        /// Creates a cell.
        public init(value: Double, marked: Bool, hover: String? = nil) {
            self.value = value
            self.marked = marked
            self.hover = hover
        }
    }

    /// The chart's accessible name.
    public var title: String
    /// Row names, top to bottom (shortened in the middle when long).
    public var rowLabels: [String]
    /// Column names, left to right (read bottom to top).
    public var columnLabels: [String]
    /// `cells[row][column]`.
    public var cells: [[Cell]]
    /// What the shade measures (`Fisher TV`), and what a mark means.
    public var valueName: String, markName: String
    /// Cells beyond this many get no tooltips, to keep the page small.
    public var tooltipLimit = 2500

    /// Creates a heatmap.
    public init(
        title: String, rowLabels: [String], columnLabels: [String], cells: [[Cell]],
        valueName: String, markName: String
    ) {
        self.title = title
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.cells = cells
        self.valueName = valueName
        self.markName = markName
    }

    /// The Blues ramp the shades are interpolated along, white to dark.
    static let ramp: [(Double, Double, Double)] = [
        (247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107),
    ]

    /// Shades a grid without tooltips is drawn in (one path each).
    static let levels = 32

    /// The shade of `t` in 0…1 as `#rrggbb`.
    static func shade(_ t: Double) -> String {
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(ramp.count - 1)
        let i = min(Int(x), ramp.count - 2)
        let f = x - Double(i)
        let (a, b) = (ramp[i], ramp[i + 1])
        func c(_ u: Double, _ v: Double) -> String {
            let n = Int((u + (v - u) * f).rounded())
            return (n < 16 ? "0" : "") + String(n, radix: 16)
        }
        return "#" + c(a.0, b.0) + c(a.1, b.1) + c(a.2, b.2)
    }

    /// The top of the colour scale: the largest value, rounded up to 1, 2 or 5 × 10ⁿ.
    var scaleMax: Double {
        let m = cells.joined().map(\.value).filter(\.isFinite).max() ?? 0
        guard m > 0 else { return 1 }
        let p = pow(10, (log10(m)).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * p }.first { $0 >= m * (1 - 1e-9) } ?? m
    }

    /// Lays the heatmap out, no wider than `maxWidth`.
    public func canvas(maxWidth: Double = 1100) -> SVGCanvas {
        let dense = rowLabels.count > 60
        let rowFont = dense ? 9.0 : 10.0
        let colFont = 10.0
        let cellH = dense ? 12.0 : 15.0
        let labelW = min(max(rowLabels.map { TextMetrics.width($0, fontSize: rowFont) }.max() ?? 40, 40), 240)
        let left = 6 + labelW + 8
        let cellW = min(max((maxWidth - left - 12) / Double(max(columnLabels.count, 1)), 15), 60)
        let colLabelH = min(max(columnLabels.map { TextMetrics.width($0, fontSize: colFont) }.max() ?? 20, 20), 200)
        let top = colLabelH + 10
        let gridBottom = top + cellH * Double(rowLabels.count)
        let legendY = gridBottom + 26
        let width = max(left + cellW * Double(columnLabels.count) + 12, 520)
        let height = legendY + 12
        var c = SVGCanvas(
            width: width, height: height, title: title,
            summary:
                "\(rowLabels.count) rows by \(columnLabels.count) columns; darker is a larger \(valueName); a ring "
                + "marks \(markName)."
        )
        let top0 = top
        for (j, name) in columnLabels.enumerated() {
            let fitted = TextMetrics.fit(name, maxWidth: colLabelH, fontSize: colFont)
            // Baseline just right of the column's centre so the glyphs sit in the column.
            let x = left + cellW * (Double(j) + 0.5) + colFont * (TextMetrics.ascent - TextMetrics.descent) / 2
            c.text(fitted, x: x, y: top0 - 6, fontSize: colFont, vertical: true, hover: fitted == name ? nil : name)
        }
        let scale = scaleMax
        let tips = rowLabels.count * columnLabels.count <= tooltipLimit
        var shapes: [Int: String] = [:]
        var rings = ""
        for (i, name) in rowLabels.enumerated() {
            let y = top + cellH * Double(i)
            let fitted = TextMetrics.fit(name, maxWidth: labelW, fontSize: rowFont, middle: true)
            c.text(
                fitted, x: 6, y: y + cellH / 2 + rowFont * 0.35, fontSize: rowFont, hover: fitted == name ? nil : name)
            for j in columnLabels.indices {
                let cell = i < cells.count && j < cells[i].count ? cells[i][j] : Cell(value: .nan, marked: false)
                let x = left + cellW * Double(j)
                let radius = min(cellH, cellW) * 0.22
                let cx = x + (cellW - 1) / 2
                let cy = y + (cellH - 1) / 2
                guard tips else {
                    // Without tooltips, one path per shade and one for the rings keep a large grid small.
                    let level =
                        cell.value.isFinite
                        ? Int((min(max(cell.value / scale, 0), 1) * Double(Self.levels)).rounded()) : -1
                    shapes[level, default: ""] +=
                        "M\(c.r(x)) \(c.r(y))h\(c.r(cellW - 1))v\(c.r(cellH - 1))h-\(c.r(cellW - 1))z"
                    if cell.marked {
                        rings +=
                            "M\(c.r(cx - radius)) \(c.r(cy))a\(c.r(radius)) \(c.r(radius)) 0 1 0 \(c.r(2 * radius)) "
                            + "0a\(c.r(radius)) \(c.r(radius)) 0 1 0 -\(c.r(2 * radius)) 0"
                    }
                    continue
                }
                c.rect(
                    x: x, y: y, width: cellW - 1, height: cellH - 1,
                    fill: cell.value.isFinite ? Self.shade(cell.value / scale) : "#e8e8e8", hover: cell.hover)
                if cell.marked { c.circle(cx: cx, cy: cy, radius: radius, fill: "#fff", stroke: "#000") }
            }
        }
        for (level, d) in shapes.sorted(by: { $0.key < $1.key }) {
            c.raw(
                "<path fill=\"\(level < 0 ? "#e8e8e8" : Self.shade(Double(level) / Double(Self.levels)))\" d=\"\(d)\"/>\n"
            )
        }
        if !rings.isEmpty { c.raw("<path fill=\"#fff\" stroke=\"#000\" d=\"\(rings)\"/>\n") }
        // Legend: the ramp with its ends, then the mark.
        var lx = left
        c.text("\(valueName): 0", x: lx, y: legendY, fontSize: 10, anchor: "start")
        lx += TextMetrics.width("\(valueName): 0", fontSize: 10) + 4
        for k in 0..<10 {
            c.rect(x: lx + Double(k) * 12, y: legendY - 10, width: 12, height: 12, fill: Self.shade(Double(k) / 9))
        }
        lx += 124
        c.text(Format.g(scale, 3), x: lx, y: legendY, fontSize: 10)
        lx += TextMetrics.width(Format.g(scale, 3), fontSize: 10) + 18
        c.circle(cx: lx + 5, cy: legendY - 4, radius: 3.5, fill: "#fff", stroke: "#000")
        c.text(markName, x: lx + 13, y: legendY, fontSize: 10)
        lx += 13 + TextMetrics.width(markName, fontSize: 10) + 18
        c.rect(x: lx, y: legendY - 10, width: 12, height: 12, fill: "#e8e8e8")
        c.text("no value", x: lx + 16, y: legendY, fontSize: 10)
        if lx + 16 + TextMetrics.width("no value", fontSize: 10) > c.width {
            c.width = lx + 16 + TextMetrics.width("no value", fontSize: 10) + 6
        }
        return c
    }
}
