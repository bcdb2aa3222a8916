import Foundation

/// The fairness audit's JSON (`groups`, `overall`, `metrics`, `min_group_size`)
/// as HTML: the per-group chart, the per-group table with the groups at
/// either end of each gap marked, and the table of gaps naming those groups.
public enum FairnessHTML {
    /// The per-group rates drawn and tabled: JSON key and label.
    public static let rates = [
        ("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR"), ("accuracy", "accuracy"),
    ]

    /// The rate a gap is taken over.
    static func rateKey(ofGap gap: String, _ ends: [String: Ends]) -> String? {
        if gap.hasPrefix("demographic_parity") { return "selection_rate" }
        if gap.hasPrefix("equal_opportunity") { return "tpr" }
        if gap.hasPrefix("accuracy") { return "accuracy" }
        if gap.hasPrefix("equalized_odds"), let t = ends["tpr"], let f = ends["fpr"] {
            // The larger difference (or the smaller ratio) decides, as fairlearn's max/min of the two.
            return gap.hasSuffix("ratio")
                ? (f.ratio < t.ratio ? "fpr" : "tpr") : (f.difference > t.difference ? "fpr" : "tpr")
        }
        return nil
    }

    /// The compared groups with the highest and the lowest value of one rate.
    public struct Ends: Sendable {
        /// The group with the highest and the one with the lowest value.
        public var high: (name: String, value: Double), low: (name: String, value: Double)
        var difference: Double { high.value - low.value }
        var ratio: Double { high.value == 0 ? .nan : low.value / high.value }
    }

    /// For each rate, its ends over the groups not flagged `small`.
    public static func ends(_ groups: [JSONValue]) -> [String: Ends] {
        var out: [String: Ends] = [:]
        for (key, _) in rates {
            let values = groups.filter { $0["small"]?.isTrue != true }.compactMap { g -> (String, Double)? in
                guard let v = g[key]?.double, v.isFinite, let n = g["name"]?.string else { return nil }
                return (n, v)
            }
            guard let hi = values.max(by: { $0.1 < $1.1 }), let lo = values.min(by: { $0.1 < $1.1 }), values.count > 1
            else { continue }
            out[key] = Ends(high: hi, low: lo)
        }
        return out
    }

    /// Groups in report order: compared ones by selection rate, highest
    /// first, then the small ones the same way.
    public static func ordered(_ groups: [JSONValue]) -> [JSONValue] {
        func key(_ g: JSONValue) -> (Int, Double) {
            (g["small"]?.isTrue == true ? 1 : 0, -(g["selection_rate"]?.double ?? -1))
        }
        return groups.enumerated().sorted { a, b in
            let (x, y) = (key(a.element), key(b.element))
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
    }

    /// One bar per report in `reports` (one for an audit; before, after for a fix).
    public static func rateChart(_ reports: [JSONValue], series: [String], title: String) -> BarChart? {
        guard let first = reports.first?["groups"]?.array, !first.isEmpty else { return nil }
        let minSize = reports.first?["min_group_size"]?.double.map { Int($0) } ?? 0
        let rows = ordered(first).map { g -> BarChart.Row in
            let name = g["name"]?.string ?? "?"
            let values = rates.map { key, _ in
                reports.map { r -> BarChart.Value in
                    let h = r["groups"]?.array?.first { $0["name"]?.string == name }
                    return BarChart.Value(h?[key]?.double ?? .nan, h?["ci"]?[key]?.range)
                }
            }
            return BarChart.Row(
                label: name, count: Int(g["count"]?.double ?? 0), apart: g["small"]?.isTrue == true, values: values)
        }
        let overall = reports.last?["overall"]
        return BarChart(
            title: title, panels: rates.map(\.1), series: series, rows: rows,
            references: rates.map { overall?[$0.0]?.double },
            apartHeading: "Under the minimum group size (\(minSize) rows): shown, but left out of the gaps")
    }

    /// A value with its interval in smaller type.
    static func valueCell(
        _ v: Double?, _ ci: ClosedRange<Double>?, cls: String = "", tip: String? = nil
    ) -> HTMLTable.Cell {
        guard let v, v.isFinite else { return .number("—", cls: cls, tip: "undefined (no rows of that kind)") }
        var s = Format.f(v, 3)
        if let ci { s += " <span class=\"ci\">\(Format.f(ci.lowerBound, 3))–\(Format.f(ci.upperBound, 3))</span>" }
        var c = HTMLTable.Cell(markup: s, cls: cls.isEmpty ? "n" : "n " + cls)
        c.tip = tip
        return c
    }

    /// The per-group table: each rate with its interval; the highest and
    /// lowest compared group of each rate marked ▲ and ▼.
    public static func groupTable(_ json: JSONValue) -> String {
        guard let groups = json["groups"]?.array, !groups.isEmpty else { return "" }
        let ends = ends(groups)
        var t = HTMLTable(
            caption:
                "Per group (sorted by selection rate; ▲ highest, ▼ lowest of the compared groups; small print: 95% interval)",
            headers: ["group", "rows"] + rates.map(\.1) + ["mean score"], id: "groups")
        for g in ordered(groups) {
            let name = g["name"]?.string ?? "?"
            let small = g["small"]?.isTrue == true
            var cells: [HTMLTable.Cell] = [
                HTMLTable.Cell(name + (small ? " (too small to compare)" : "")),
                .number(BarChart.count(Int(g["count"]?.double ?? 0))),
            ]
            for (key, label) in rates {
                let e = ends[key]
                let mark = e?.high.name == name ? "hi" : e?.low.name == name ? "lo" : ""
                var cell = valueCell(
                    g[key]?.double, g["ci"]?[key]?.range, cls: mark,
                    tip: mark.isEmpty ? nil : "\(mark == "hi" ? "highest" : "lowest") \(label) of the compared groups")
                if !mark.isEmpty { cell.html = (mark == "hi" ? "▲ " : "▼ ") + cell.html }
                cells.append(cell)
            }
            cells.append(valueCell(g["mean_score"]?.double, nil))
            t.add(cells, cls: small ? "small" : "")
        }
        if let o = json["overall"] {
            t.add(
                [
                    HTMLTable.Cell(markup: "<strong>all rows</strong>"),
                    .number(BarChart.count(Int(o["count"]?.double ?? 0))),
                ]
                    + rates.map { valueCell(o[$0.0]?.double, nil) } + [valueCell(o["mean_score"]?.double, nil)])
        }
        return t.html
    }

    /// The gaps: value, interval, and the two groups it lies between.
    public static func gapTable(_ json: JSONValue) -> String {
        guard case .object(let metrics)? = json["metrics"] else { return "" }
        let ends = ends(json["groups"]?.array ?? [])
        var t = HTMLTable(
            caption: "Gaps between the compared groups (as fairlearn computes them)",
            headers: ["metric", "value", "95% interval", "highest group", "lowest group"], id: "gaps")
        for (name, m) in metrics where name != "accuracy" && name != "selection_rate" {
            let ci = m["ci"]?.range.map { "\(Format.f($0.lowerBound, 3))–\(Format.f($0.upperBound, 3))" } ?? ""
            let key = rateKey(ofGap: name, ends)
            let e = key.flatMap { ends[$0] }
            let label = rates.first { $0.0 == key }?.1 ?? ""
            t.add([
                HTMLTable.Cell(name.replacingOccurrences(of: "_", with: " ")), valueCell(m["value"]?.double, nil),
                .number(ci),
                HTMLTable.Cell(
                    e.map { "▲ \($0.high.name): \(label) \(Format.f($0.high.value, 3))" } ?? "—",
                    cls: e == nil ? "" : "hi"),
                HTMLTable.Cell(
                    e.map { "▼ \($0.low.name): \(label) \(Format.f($0.low.value, 3))" } ?? "—",
                    cls: e == nil ? "" : "lo"),
            ])
        }
        return t.html
    }
}

extension JSONValue {
    /// True only for JSON `true`.
    var isTrue: Bool {
        if case .bool(true) = self { return true }
        return false
    }
}
