import Foundation

/// A limit `fix` must meet on its validation rows: `max_<metric> = v` or
/// `min_<metric> = v`, the same keys a policy's `[gate]` table holds
/// (docs/method.md §5, "Targets").
public struct FixTarget: Sendable, Equatable, CustomStringConvertible {
    /// The metrics a target may name, with how training pursues them.
    public enum Metric: String, Sendable, CaseIterable {
        case demographicParityDifference = "demographic_parity_difference"
        case demographicParityRatio = "demographic_parity_ratio"
        case equalizedOddsDifference = "equalized_odds_difference"
        case equalizedOddsRatio = "equalized_odds_ratio"
        case equalOpportunityDifference = "equal_opportunity_difference"
        case equalOpportunityRatio = "equal_opportunity_ratio"
        case accuracyDifference = "accuracy_difference"
        case accuracy
        case selectionRate = "selection_rate"

        /// The label strata whose group rates the metric compares: `nil` is
        /// every row (selection rate), 1 the positives (TPR), 0 the negatives
        /// (FPR). Empty for metrics judged at selection only.
        var strata: [Int?] {
            switch self {
            case .demographicParityDifference, .demographicParityRatio: return [nil]
            case .equalizedOddsDifference, .equalizedOddsRatio: return [1, 0]
            case .equalOpportunityDifference, .equalOpportunityRatio: return [1]
            case .accuracyDifference, .accuracy, .selectionRate: return []
            }
        }

        /// Whether the metric is a ratio `min_g r / max_g r` (else a difference or a level).
        var isRatio: Bool { rawValue.hasSuffix("_ratio") }
        /// Whether a smaller value is fairer or better (differences).
        var isGap: Bool { rawValue.hasSuffix("_difference") }
    }

    /// `max`: the value must be ≤ `limit`; `min`: ≥ `limit`.
    public var kind: Policy.Limit.Kind
    /// What is limited.
    public var metric: Metric
    /// The limit.
    public var limit: Double

    /// Creates a target.
    public init(kind: Policy.Limit.Kind, metric: Metric, limit: Double) {
        self.kind = kind
        self.metric = metric
        self.limit = limit
    }

    /// The key as the gate writes it: `max_equalized_odds_difference`.
    public var key: String { kind.rawValue + "_" + metric.rawValue }
    /// `max_equalized_odds_difference=0.02`.
    public var description: String { "\(key)=\(Format.g(limit, 6))" }

    /// Parses `max_<metric>=<value>`; the error names what was wrong and what is known.
    public static func parse(_ text: String, source: String = "--target") throws -> FixTarget {
        func bad(_ reason: String) -> FairAuditError { .invalidInput(path: source, reason: reason) }
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let limit = Double(parts[1]), limit.isFinite else {
            throw bad("'\(text)' is not KEY=VALUE with a number, e.g. max_equalized_odds_difference=0.02")
        }
        return try make(key: parts[0], limit: limit, source: source)
    }

    /// A target from a gate limit's key and bound.
    public static func make(key: String, limit: Double, source: String) throws -> FixTarget {
        let known = Metric.allCases.map(\.rawValue).joined(separator: ", ")
        let kind: Policy.Limit.Kind
        let name: Substring
        if key.hasPrefix("max_") {
            kind = .max
            name = key.dropFirst(4)
        } else if key.hasPrefix("min_") {
            kind = .min
            name = key.dropFirst(4)
        } else {
            throw FairAuditError.invalidInput(
                path: source, reason: "target '\(key)' must start with max_ or min_ (metrics: \(known))")
        }
        guard let metric = Metric(rawValue: String(name)) else {
            throw FairAuditError.invalidInput(
                path: source, reason: "target '\(key)' names a metric fix cannot aim at (known: \(known))")
        }
        if metric.isGap && kind == .min || metric.isRatio && kind == .max {
            throw FairAuditError.invalidInput(
                path: source,
                reason:
                    "target '\(key)' bounds the fair side of \(metric.rawValue); use \(metric.isGap ? "max_" : "min_")\(metric.rawValue)"
            )
        }
        if metric.isGap || metric.isRatio || metric == .accuracy || metric == .selectionRate {
            guard (0...1).contains(limit) else {
                throw FairAuditError.invalidInput(
                    path: source, reason: "target '\(key)' has limit \(limit), outside [0, 1]")
            }
        }
        return FixTarget(kind: kind, metric: metric, limit: limit)
    }

    /// The value this target judges in a snapshot (NaN when undefined).
    public func value(in s: FairnessSnapshot) -> Double { s.value(of: metric.rawValue) ?? .nan }

    /// How far `value` is on the wrong side of the limit (0 when met; ∞ for NaN).
    public func violation(_ value: Double) -> Double {
        guard !value.isNaN else { return .infinity }
        return kind == .max ? Swift.max(0, value - limit) : Swift.max(0, limit - value)
    }

    /// Whether `value` meets the target.
    public func isMet(by value: Double) -> Bool { !value.isNaN && violation(value) == 0 }
}
