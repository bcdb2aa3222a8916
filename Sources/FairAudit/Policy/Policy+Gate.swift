import Foundation

/// One check of a release gate and its outcome.
public struct GateCheck: Sendable, Equatable {
    /// The policy key (`max_demographic_parity_difference`, `max_regression:…`).
    public var name: String
    /// The metric checked.
    public var metric: String
    /// The measured point value.
    public var value: Double
    /// Its bootstrap interval, when the audit computed one.
    public var interval: ClosedRange<Double>?
    /// The value judged: the point value, or with `use_ci_bound` the
    /// interval's unfavourable end (upper for `max_`, lower for `min_`).
    public var judged: Double
    /// The limit.
    public var limit: Double
    /// `max` or `min`.
    public var kind: Policy.Limit.Kind
    /// True when the check holds.
    public var passed: Bool
    /// For a regression check, the baseline's value.
    public var baseline: Double? = nil
    /// Which end of the interval was judged (`use_ci_bound`), nil when the point value was.
    public var judgedEnd: IntervalEnd? = nil

    /// An end of a confidence interval.
    public enum IntervalEnd: String, Sendable, Equatable {
        case lower, upper
    }

    /// One line for people: `FAIL max_demographic_parity_difference: 0.181 [0.170, 0.193] > 0.1`,
    /// or with `use_ci_bound` `FAIL …: 0.07821 [0.01859, 0.1367]: upper bound 0.1367 > 0.1`.
    public var summary: String {
        if let baseline {
            return
                "\(passed ? "pass" : "FAIL") \(name): changed by \(Format.g(judged, 4)) (\(Format.g(baseline, 4)) → \(Format.g(value, 4))), limit \(Format.g(limit, 4))"
        }
        let ci = interval.map { " [\(Format.g($0.lowerBound, 4)), \(Format.g($0.upperBound, 4))]" } ?? ""
        let op = kind == .max ? (passed ? "≤" : ">") : (passed ? "≥" : "<")
        if let judgedEnd {
            // `use_ci_bound`: say which end was judged, so the line reads true.
            return
                "\(passed ? "pass" : "FAIL") \(name): \(Format.g(value, 4))\(ci): \(judgedEnd.rawValue) bound \(Format.g(judged, 4)) \(op) \(Format.g(limit, 4))"
        }
        return "\(passed ? "pass" : "FAIL") \(name): \(Format.g(value, 4))\(ci) \(op) \(Format.g(limit, 4))"
    }
}

extension Policy {
    /// Checks every limit against `metrics`, and with a `baseline` (metric →
    /// value of an earlier run) every gap's growth against `max_regression`.
    /// A limit on a metric the audits did not produce is a `FairAuditError.policy`.
    public func evaluate(_ metrics: [AuditMetric], baseline: [String: Double]? = nil) throws -> [GateCheck] {
        var byName: [String: AuditMetric] = [:]
        for m in metrics { byName[m.name] = m }
        var checks: [GateCheck] = []
        for limit in limits {
            guard let m = byName[limit.metric] else {
                let known = metrics.map(\.name).sorted().joined(separator: ", ")
                if limit.origin == .commandLine {
                    throw FairAuditError.invalidInput(
                        path: "--limit \(limit.key)=\(Format.g(limit.bound, 6))",
                        reason: "limits a metric the audit does not report (known: \(known))")
                }
                throw FairAuditError.policy(
                    file: source.isEmpty ? "fairaudit.toml" : source, line: limit.line,
                    reason: "'\(limit.key)' limits a metric the audit does not report (known: \(known))")
            }
            var judged = m.value
            var end: GateCheck.IntervalEnd?
            if useCIBound, let ci = m.interval {
                end = limit.kind == .max ? .upper : .lower
                judged = limit.kind == .max ? ci.upperBound : ci.lowerBound
            }
            let passed = !judged.isNaN && (limit.kind == .max ? judged <= limit.bound : judged >= limit.bound)
            var check = GateCheck(
                name: limit.key, metric: limit.metric, value: m.value, interval: m.interval,
                judged: judged, limit: limit.bound, kind: limit.kind, passed: passed)
            check.judgedEnd = end
            checks.append(check)
        }
        if let baseline, let maxRegression {
            for m in metrics.sorted(by: { $0.name < $1.name }) {
                guard let before = baseline[m.name], before.isFinite, m.value.isFinite else { continue }
                // Differences grow when they worsen; ratios shrink.
                let growth: Double
                if m.name.hasSuffix("_difference") {
                    growth = m.value - before
                } else if m.name.hasSuffix("_ratio") {
                    growth = before - m.value
                } else {
                    continue
                }
                let passed = growth <= maxRegression + 1e-12
                checks.append(
                    GateCheck(
                        name: "max_regression:\(m.name)", metric: m.name, value: m.value,
                        interval: m.interval, judged: growth, limit: maxRegression, kind: .max,
                        passed: passed, baseline: before))
            }
        }
        return checks
    }
}
