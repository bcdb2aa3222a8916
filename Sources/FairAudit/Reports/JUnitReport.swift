import Foundation

/// A JUnit XML report of a release gate: one `<testcase>` per check, a
/// `<failure>` with the numbers for each check that failed — the format CI
/// systems (GitHub, GitLab, Jenkins) show as test results.
public enum JUnitReport {
    /// The XML document for `checks` of the audit of `model`.
    public static func xml(checks: [GateCheck], model: String, seconds: Double = 0) -> String {
        let failures = checks.filter { !$0.passed }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"fairaudit\" tests=\"\(checks.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        out +=
            "  <testsuite name=\"fairaudit gate: \(Markup.escape(model))\" tests=\"\(checks.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"\(String(format: "%.3f", seconds))\">\n"
        for c in checks {
            out += "    <testcase classname=\"fairaudit.gate\" name=\"\(Markup.escape(c.name))\" time=\"0\""
            if c.passed {
                out += "/>\n"
            } else {
                out +=
                    ">\n      <failure message=\"\(Markup.escape(c.summary))\" type=\"fairness-gate\">\(Markup.escape(c.summary))</failure>\n    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}
