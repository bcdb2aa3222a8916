import Foundation

/// The combined report of one audit run: every audit's findings and the
/// gate's checks, as JSON, text, Markdown and HTML.
public struct AuditReport: Sendable {
    public var model: String
    public var graph: ModelGraph
    public var dataPath: String
    public var data: LabeledData
    public var results: [AuditResult]
    public var checks: [GateCheck]
    public var seconds: Double
    /// Seconds per step, in order (`read_model_s`, `read_data_s`, `predict_s`, `metrics_s`, `fisher_s`).
    public var timing: [(String, Double)]

    /// Creates a report.
    public init(
        model: String, graph: ModelGraph, dataPath: String, data: LabeledData, results: [AuditResult],
        checks: [GateCheck], seconds: Double, timing: [(String, Double)] = []
    ) {
        self.model = model
        self.graph = graph
        self.dataPath = dataPath
        self.data = data
        self.results = results
        self.checks = checks
        self.seconds = seconds
        self.timing = timing
    }

    /// The audit whose keys (`threshold`, `groups`, `overall`, …) stand at
    /// the top level of the JSON; every other audit has its own key.
    static let topLevelAudit = "fairness"

    /// True when no check failed.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The `--json` document (a stable schema CI scripts parse): `model`,
    /// `data`, `rows`, `threshold`, `groups` (each `name`, `columns`,
    /// `count`, `selection_rate`, `tpr`, `fpr`, `accuracy`, `mean_score`,
    /// `small`, `ci`), `overall`, `metrics` (every gated metric as
    /// `{"value", "ci"}` — also what `--baseline` reads), `fisher` (`pairs`,
    /// `vs_rest`, `influential`, …), `timing` (`read_model_s`, `read_data_s`,
    /// `predict_s`, `metrics_s`, `fisher_s`), `gate`, and `format`, `layout`,
    /// `features`, `group_columns`, `seconds`.
    public var json: JSONValue {
        var metrics: [(String, JSONValue)] = []
        for m in results.flatMap(\.metrics) where !metrics.contains(where: { $0.0 == m.name }) {
            var entry: [(String, JSONValue)] = [("value", .finite(m.value))]
            if let ci = m.interval { entry.append(("ci", .array([.finite(ci.lowerBound), .finite(ci.upperBound)]))) }
            metrics.append((m.name, .object(entry)))
        }
        var doc: [(String, JSONValue)] = [
            ("model", .string(model)), ("data", .string(dataPath)), ("rows", .int(data.rowCount)),
        ]
        if let top = results.first(where: { $0.name == Self.topLevelAudit }), case .object(let pairs) = top.json {
            doc += pairs.filter { $0.0 != "metrics" && $0.0 != "rows" }
        }
        doc.append(("metrics", .object(metrics)))
        for r in results where r.name != Self.topLevelAudit { doc.append((r.name, r.json)) }
        doc.append(("timing", .object(timing.map { ($0.0, .number(($0.1 * 1e4).rounded() / 1e4)) })))
        doc += [
            ("format", .string(graph.format)), ("layout", .string(graph.layout.rawValue)),
            ("features", .int(data.featureCount)),
            ("group_columns", .array(data.groupColumns.map { .string($0) })),
        ]
        doc.append(
            (
                "gate",
                .object([
                    ("passed", .bool(passed)),
                    (
                        "checks",
                        .array(
                            checks.map { c in
                                .object([
                                    ("name", .string(c.name)), ("metric", .string(c.metric)),
                                    ("value", .finite(c.value)),
                                    (
                                        "ci",
                                        c.interval.map { .array([.finite($0.lowerBound), .finite($0.upperBound)]) }
                                            ?? .null
                                    ),
                                    ("judged", .finite(c.judged)), ("limit", .finite(c.limit)),
                                    ("kind", .string(c.kind.rawValue)),
                                    ("passed", .bool(c.passed)),
                                ])
                            })
                    ),
                ])
            ))
        doc.append(("seconds", .number((seconds * 1000).rounded() / 1000)))
        return .object(doc)
    }

    /// Header line shared by the text and Markdown forms.
    var header: String {
        "\(model) (\(graph.format), \(graph.layout.rawValue)) on \(dataPath): \(data.rowCount) rows, \(data.featureCount) features, groups by \(data.groupColumns.joined(separator: " × "))"
    }

    /// The gate as text lines.
    var gateText: String {
        if checks.isEmpty { return "gate: no limits set" }
        let failed = checks.filter { !$0.passed }.count
        return "gate: \(failed == 0 ? "PASSED" : "FAILED") (\(checks.count - failed)/\(checks.count) checks pass)\n"
            + checks.map { "  " + $0.summary }.joined(separator: "\n")
    }

    /// The terminal report.
    public var text: String {
        ([header, ""] + results.map { $0.text + "\n" } + [gateText]).joined(separator: "\n")
    }

    /// The Markdown report (also what goes to `GITHUB_STEP_SUMMARY`).
    public var markdown: String {
        var out = "# fairaudit: \(passed ? "✅ passed" : "❌ failed")\n\n\(header)\n\n"
        for r in results { out += r.markdown + "\n\n" }
        if !checks.isEmpty {
            var t = TextTable(headers: ["check", "value", "CI", "limit", "result"], rightAligned: [1, 3])
            for c in checks {
                t.add([
                    c.name, Format.g(c.value, 4),
                    c.interval.map { "[\(Format.g($0.lowerBound, 4)), \(Format.g($0.upperBound, 4))]" } ?? "",
                    (c.kind == .max ? "≤ " : "≥ ") + Format.g(c.limit, 4), c.passed ? "pass" : "**FAIL**",
                ])
            }
            out += "## Gate\n\n" + t.markdown() + "\n"
        }
        return out
    }
}
