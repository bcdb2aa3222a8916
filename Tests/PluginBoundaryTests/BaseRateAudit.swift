import FairAudit
import Foundation

/// An audit defined in a test target only: each group's base rate (share
/// of positive labels) and the largest gap between two groups,
/// `base_rate_difference = max_g P(y=1 | g) − min_g P(y=1 | g)` over the
/// groups of at least `min_count` rows. It exists to show that an audit, and
/// an option of its own, is a type and a list entry, with no change to the core.
struct BaseRateAudit: Audit {
    static let name = "base_rates"
    static var needsFeatures: Bool { false }

    /// `[audits.base_rates] min_count = N`, `--base-rate-min-count N`, or
    /// `--audit-option base_rates.min_count=N`.
    struct Options: AuditOptionSet {
        /// Groups with fewer rows are listed but left out of the gap.
        var minCount = 0
        static let keys = [
            AuditOptionKey(
                "min_count", help: "groups with fewer rows are left out of the gap (default 0)",
                flag: "base-rate-min-count")
        ]
        mutating func apply(_ setting: AuditSetting) throws { minCount = try setting.integer(in: 0...Int.max) }
    }

    func run(_ context: AuditContext) throws -> AuditResult {
        let data = context.data
        let options = try Self.options(context.options)
        var positives = [Double](repeating: 0, count: data.groupNames.count)
        var counts = positives
        for (label, g) in zip(data.labels, data.rowGroups) {
            counts[g] += 1
            positives[g] += Double(label)
        }
        let rates = zip(positives, counts).map { $0 / max($1, 1) }
        let compared = rates.indices.filter { counts[$0] >= Double(options.minCount) }.map { rates[$0] }
        let gap = (compared.max() ?? 0) - (compared.min() ?? 0)
        let groups = data.groupNames.enumerated().map { g, name in
            JSONValue.object([
                ("name", .string(name)), ("count", .int(Int(counts[g]))), ("base_rate", .number(rates[g])),
                ("compared", .bool(counts[g] >= Double(options.minCount))),
            ])
        }
        let text = data.groupNames.enumerated().map { "\($1): \(rates[$0])" }.joined(separator: "\n")
        return AuditResult(
            name: Self.name, json: .object([("min_count", .int(options.minCount)), ("groups", .array(groups))]),
            text: text, markdown: text,
            metrics: [AuditMetric(name: "base_rate_difference", value: gap)])
    }
}
