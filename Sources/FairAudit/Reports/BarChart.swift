import Foundation

/// A grouped bar chart drawn as inline SVG, with optional error whiskers
/// (bootstrap intervals) on each bar.
public struct BarChart: Sendable {
    /// One coloured series of bars, one value per category.
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public var intervals: [ClosedRange<Double>?]
        /// Creates a series; `intervals` default to none.
        public init(name: String, values: [Double], intervals: [ClosedRange<Double>?]? = nil) {
            self.name = name
            self.values = values
            self.intervals = intervals ?? Array(repeating: nil, count: values.count)
        }
    }

    public var title: String
    public var categories: [String]
    public var series: [Series]
    /// Upper end of the y axis; by default the largest value or whisker.
    public var yMax: Double?

    /// Creates a chart.
    public init(title: String, categories: [String], series: [Series], yMax: Double? = nil) {
        self.title = title
        self.categories = categories
        self.series = series
        self.yMax = yMax
    }

    static let palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]

    /// The chart as an `<svg>` element (no external resources).
    public func svg(width: Double = 640, height: Double = 300) -> String {
        let left = 56.0, right = 16.0, top = 36.0, bottom = 64.0
        let plotW = width - left - right, plotH = height - top - bottom
        let tops = series.flatMap { s in s.values.indices.map { i in max(s.values[i].isFinite ? s.values[i] : 0, s.intervals[i]?.upperBound ?? 0) } }
        let ymax = max(yMax ?? (tops.max() ?? 1), 1e-9) * (yMax == nil ? 1.1 : 1)
        func y(_ v: Double) -> Double { top + plotH * (1 - min(max(v, 0), ymax) / ymax) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<text x=\"\(left)\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(Markup.escape(title))</text>\n"
        for k in 0...4 {
            let v = ymax * Double(k) / 4, yy = y(v)
            s += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(r(yy))\" y2=\"\(r(yy))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(r(yy + 4))\" text-anchor=\"end\">\(Format.g(v, 3))</text>\n"
        }
        let groupW = plotW / Double(max(categories.count, 1))
        let barW = groupW * 0.8 / Double(max(series.count, 1))
        for (ci, cat) in categories.enumerated() {
            let gx = left + groupW * Double(ci) + groupW * 0.1
            for (si, ser) in series.enumerated() where ci < ser.values.count {
                let v = ser.values[ci]
                let x = gx + barW * Double(si)
                let color = Self.palette[si % Self.palette.count]
                if v.isFinite {
                    s += "<rect x=\"\(r(x))\" y=\"\(r(y(v)))\" width=\"\(r(barW * 0.92))\" height=\"\(r(y(0) - y(v)))\" fill=\"\(color)\"><title>\(Markup.escape(ser.name)) \(Markup.escape(cat)): \(Format.g(v, 4))</title></rect>\n"
                }
                if let iv = ser.intervals[ci] {
                    let cx = x + barW * 0.46
                    s += "<path d=\"M\(r(cx)) \(r(y(iv.lowerBound))) V\(r(y(iv.upperBound))) M\(r(cx - 4)) \(r(y(iv.lowerBound))) H\(r(cx + 4)) M\(r(cx - 4)) \(r(y(iv.upperBound))) H\(r(cx + 4))\" stroke=\"#222\" fill=\"none\"/>\n"
                }
            }
            let label = cat.count > 18 ? String(cat.prefix(17)) + "…" : cat
            s += "<text x=\"\(r(gx + groupW * 0.4))\" y=\"\(r(top + plotH + 16))\" text-anchor=\"middle\">\(Markup.escape(label))</text>\n"
        }
        s += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(r(y(0)))\" y2=\"\(r(y(0)))\" stroke=\"#444\"/>\n"
        var lx = left
        for (si, ser) in series.enumerated() {
            s += "<rect x=\"\(r(lx))\" y=\"\(r(height - 20))\" width=\"10\" height=\"10\" fill=\"\(Self.palette[si % Self.palette.count])\"/>"
            s += "<text x=\"\(r(lx + 14))\" y=\"\(r(height - 11))\">\(Markup.escape(ser.name))</text>\n"
            lx += 24 + Double(ser.name.count) * 6.5
        }
        return s + "</svg>"
    }

    private func r(_ x: Double) -> String { String(format: "%.1f", x) }
}
