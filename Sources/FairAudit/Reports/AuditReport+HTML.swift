import Foundation

extension AuditReport {
    /// The self-contained HTML page, in the order a reader asks: the gate's
    /// verdict (failed checks first), per-group rates (one row per group,
    /// interval whiskers, small groups apart), the gaps and the groups they
    /// lie between, then one Fisher heatmap (layers × group comparisons)
    /// with the weights that serve one group most.
    public var html: String {
        let name = URL(fileURLWithPath: model).lastPathComponent
        var page = HTMLReport(title: "fairaudit: \(name)")
        let failed = checks.filter { !$0.passed }.count
        let verdict =
            checks.isEmpty
            ? "<span class=\"verdict none\">no gate limits set</span>"
            : "<span class=\"verdict \(passed ? "pass" : "fail")\">\(passed ? "PASSED: all \(checks.count) checks pass" : "FAILED: \(failed) of \(checks.count) checks fail")</span>"
        let lead = "<p>\(verdict)</p>\n<p class=\"muted\">\(Markup.escape(header))</p>"
        page.add("Gate", gateTable)
        for r in results {
            switch r.name {
            case "fairness":
                var body = ""
                if let chart = FairnessHTML.rateChart(
                    [r.json], series: [""], title: "Per-group rates with 95% bootstrap intervals")
                {
                    body +=
                        HTMLReport.figure(
                            chart.canvas(width: 1100),
                            caption:
                                "One row per group (sorted by selection rate), with its number of rows. Bars: the "
                                + "rate; whiskers: its 95% bootstrap interval; "
                                + "dashed line: all rows together. Groups under the minimum size are drawn apart, "
                                + "hatched, and left out of the gaps."
                        ) + "\n"
                }
                page.add("Groups", body + FairnessHTML.groupTable(r.json))
                page.add("Gaps", FairnessHTML.gapTable(r.json))
            case "fisher":
                page.add("Fisher divergence", FisherHTML.section(r.json))
            default:
                page.add(r.name.capitalized, HTMLReport.pre(r.text))
            }
        }
        if !timing.isEmpty {
            var t = HTMLTable(
                caption: "Seconds per step (\(Format.f(seconds, 2)) s in all)", headers: ["step", "seconds"],
                id: "timing")
            for (step, s) in timing { t.add([HTMLTable.Cell(step), .number(Format.f(s, 3))]) }
            page.add("Run", t.html)
        }
        return page.rendered(lead: lead)
    }

    /// The gate as a table, failed checks first: check, metric, value, interval, limit, result.
    var gateTable: String {
        guard !checks.isEmpty else {
            return
                "<p>No limits are set (add a <code>[gate]</code> table to fairaudit.toml, or <code>--limit</code>).</p>"
        }
        var t = HTMLTable(
            caption: "Release gate: each limit of the policy, failed checks first",
            headers: ["check", "metric", "value", "95% interval", "limit", "result"], id: "gate")
        let ordered = checks.enumerated().sorted { a, b in
            a.element.passed != b.element.passed ? !a.element.passed : a.offset < b.offset
        }.map(\.element)
        for c in ordered {
            let ci = c.interval.map { "\(Format.g($0.lowerBound, 4))–\(Format.g($0.upperBound, 4))" } ?? ""
            let value = c.baseline.map { "\(Format.g($0, 4)) → \(Format.g(c.value, 4))" } ?? Format.g(c.value, 4)
            let limit =
                c.baseline != nil
                ? "change ≤ \(Format.g(c.limit, 4))" : (c.kind == .max ? "≤ " : "≥ ") + Format.g(c.limit, 4)
            t.add(
                [
                    HTMLTable.Cell(c.name), HTMLTable.Cell(c.metric.replacingOccurrences(of: "_", with: " ")),
                    .number(value), .number(ci), .number(limit),
                    HTMLTable.Cell(c.passed ? "pass" : "FAIL", cls: c.passed ? "pass" : "fail"),
                ],
                cls: c.passed ? "" : "failed")
        }
        return t.html
    }
}
