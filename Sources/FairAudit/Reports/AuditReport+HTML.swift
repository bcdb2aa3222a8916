import Foundation

extension AuditReport {
    /// The self-contained HTML page: summary, the gate, per-group rates with
    /// their bootstrap whiskers, per-layer Fisher TV against its permutation
    /// null, and each audit's tables.
    public var html: String {
        var page = HTMLReport(title: "fairaudit: \(URL(fileURLWithPath: model).lastPathComponent) — \(passed ? "passed" : "failed")")
        page.add("Summary", "<p>\(Markup.escape(header))</p>")
        if !checks.isEmpty {
            var rows = "<table><thead><tr><th>check</th><th>value</th><th>interval</th><th>limit</th><th>result</th></tr></thead><tbody>\n"
            for c in checks {
                let ci = c.interval.map { "[\(Format.g($0.lowerBound, 4)), \(Format.g($0.upperBound, 4))]" } ?? ""
                rows += "<tr><td>\(Markup.escape(c.name))</td><td class=\"n\">\(Format.g(c.value, 4))</td><td class=\"n\">\(ci)</td>"
                rows += "<td class=\"n\">\((c.kind == .max ? "≤ " : "≥ ") + Format.g(c.limit, 4))</td>"
                rows += "<td class=\"\(c.passed ? "pass" : "fail")\">\(c.passed ? "pass" : "FAIL")</td></tr>\n"
            }
            page.add("Gate", rows + "</tbody></table>")
        }
        for r in results {
            var body = ""
            if r.name == "fairness", let chart = Self.groupRateChart(r.json) { body += chart.svg() + "\n" }
            if r.name == "fisher" { body += Self.fisherCharts(r.json).map { $0.svg() }.joined(separator: "\n") }
            page.add(r.name.capitalized, body + HTMLReport.pre(r.text))
        }
        return page.rendered()
    }

    /// Per-group selection rate, TPR, FPR and accuracy, with the bootstrap
    /// interval of each as whiskers.
    static func groupRateChart(_ json: JSONValue) -> BarChart? {
        guard let groups = json["groups"]?.array, !groups.isEmpty else { return nil }
        let keys = [("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR"), ("accuracy", "accuracy")]
        let series = keys.map { key, label in
            BarChart.Series(name: label,
                            values: groups.map { $0[key]?.double ?? .nan },
                            intervals: groups.map { $0["ci"]?[key]?.range })
        }
        return BarChart(title: "Per-group rates (whiskers: 95% bootstrap intervals)",
                        categories: groups.map { $0["name"]?.string ?? "?" }, series: series, yMax: 1)
    }

    /// For each group comparison, each layer's Fisher TV beside the mean TV
    /// of the permutation null.
    static func fisherCharts(_ json: JSONValue) -> [BarChart] {
        let comparisons = (json["pairs"]?.array ?? []) + (json["vs_rest"]?.array ?? [])
        return comparisons.compactMap { c in
            guard let layers = c["layers"]?.array, !layers.isEmpty else { return nil }
            let names = (c["groups"]?.array ?? []).compactMap(\.string)
            let title = names.count == 2 ? "\(names[0]) vs \(names[1])" : (c["group"]?.string.map { "\($0) vs rest" } ?? "comparison")
            return BarChart(title: "Fisher TV per layer, \(title)",
                            categories: layers.map { $0["name"]?.string ?? "?" },
                            series: [BarChart.Series(name: "observed TV", values: layers.map { $0["tv"]?.double ?? .nan }),
                                     BarChart.Series(name: "permutation null (mean TV)",
                                                     values: layers.map { $0["null_tv_mean"]?.double ?? .nan })],
                            yMax: nil)
        }
    }
}
