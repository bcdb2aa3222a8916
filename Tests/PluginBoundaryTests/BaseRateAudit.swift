import FairAudit
import Foundation

/// An audit defined in a test target only: each group's base rate (share
/// of positive labels) and the largest gap between two groups,
/// `base_rate_difference = max_g P(y=1 | g) − min_g P(y=1 | g)`. It exists to
/// show that an audit is a type and a list entry, with no change to the core.
struct BaseRateAudit: Audit {
    static let name = "base_rates"
    static var needsFeatures: Bool { false }

    func run(_ context: AuditContext) throws -> AuditResult {
        let data = context.data
        var positives = [Double](repeating: 0, count: data.groupNames.count)
        var counts = positives
        for (label, g) in zip(data.labels, data.rowGroups) {
            counts[g] += 1
            positives[g] += Double(label)
        }
        let rates = zip(positives, counts).map { $0 / max($1, 1) }
        let gap = (rates.max() ?? 0) - (rates.min() ?? 0)
        let groups = data.groupNames.enumerated().map { g, name in
            JSONValue.object([
                ("name", .string(name)), ("count", .int(Int(counts[g]))), ("base_rate", .number(rates[g])),
            ])
        }
        let text = data.groupNames.enumerated().map { "\($1): \(rates[$0])" }.joined(separator: "\n")
        return AuditResult(
            name: Self.name, json: .object([("groups", .array(groups))]), text: text, markdown: text,
            metrics: [AuditMetric(name: "base_rate_difference", value: gap)])
    }
}
