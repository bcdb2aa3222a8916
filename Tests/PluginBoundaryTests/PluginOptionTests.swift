import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The test-only audit's own option (`min_count`), declared in this test
/// target, reaches it from a policy table and from a forwarded flag, through
/// the runner, with no change to the library.
@Suite struct PluginOptionTests {
    static let audits: [any Audit.Type] = Plugins.audits + [BaseRateAudit.self]
    static let csv = CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"])

    /// The base-rate audit's result over adult_sample grouped by sex.
    static func run(_ options: AuditOptions) throws -> AuditResult {
        let request = AuditRequest(
            model: try PluginBoundaryTests.resource("adult_mlp_torch", "npz"),
            data: try PluginBoundaryTests.resource("adult_sample.csv", "gz"), dataOptions: csv, options: options,
            audits: [BaseRateAudit.self],
            architecture: { g in g.layers = try g.inferredLayers(activations: [.relu], head: .sigmoid) })
        return try #require(AuditRunner.run(request).results.first)
    }

    /// Each sex's row count and base rate, counted here from the CSV read on its own.
    static func groups() throws -> [(count: Int, rate: Double)] {
        let rows = try LabeledData.load(from: PluginBoundaryTests.resource("adult_sample.csv", "gz"), options: csv)
        var sums = [(Int, Double)](repeating: (0, 0), count: rows.groupNames.count)
        for (label, g) in zip(rows.labels, rows.rowGroups) {
            sums[g].0 += 1
            sums[g].1 += Double(label)
        }
        return sums.map { ($0.0, $0.1 / Double($0.0)) }
    }

    static func gap(_ result: AuditResult) throws -> Double {
        try #require(result.metrics.first { $0.name == "base_rate_difference" }).value
    }

    static func options(policy text: String) throws -> AuditOptions {
        let policy = try Policy.parse(text, file: "p.toml", audits: audits)
        var options = AuditOptions()
        for setting in policy.audits { options.audits.add(setting) }
        try options.audits.validate(audits)
        return options
    }

    @Test func policyTableAndForwardedFlagSetTheOption() throws {
        let groups = try Self.groups()
        #expect(groups.count == 2)
        let smaller = try #require(groups.map(\.count).min())
        let full = abs(groups[0].rate - groups[1].rate)
        #expect(full > 0.05, "Adult's base rates differ by sex")

        // Defaults: both groups compared.
        #expect(abs(try Self.gap(Self.run(AuditOptions())) - full) < 1e-12)

        // The policy table leaves the smaller group out: one group, no gap.
        var options = try Self.options(policy: "[audits.base_rates]\nmin_count = \(smaller + 1)\n")
        let fromPolicy = try Self.run(options)
        #expect(try Self.gap(fromPolicy) == 0)
        #expect(fromPolicy.json["min_count"] == .int(smaller + 1))

        // A flag the command forwards by name wins over the policy.
        let claimed = options.audits.forward(flag: "base-rate-min-count", value: "\(smaller)", audits: Self.audits)
        #expect(claimed)
        let fromFlag = try Self.run(options)
        #expect(abs(try Self.gap(fromFlag) - full) < 1e-12)
        #expect(fromFlag.json["min_count"] == .int(smaller))

        // `--audit-option base_rates.min_count=…` after it wins again.
        try options.audits.add(spec: "base_rates.min_count=\(smaller + 1)", flag: "--audit-option")
        #expect(try Self.gap(Self.run(options)) == 0)

        // Options set in code, under the raw settings.
        var typed = AuditOptions()
        typed.audits[BaseRateAudit.self].minCount = smaller + 1
        #expect(try Self.gap(Self.run(typed)) == 0)
    }

    @Test func badSettingsAreBlamedOnTheirPlace() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        let negative = try Policy.parse("\n[audits.base_rates]\nmin_count = -3\n", file: "p.toml", audits: Self.audits)
        var options = AuditOptions()
        for setting in negative.audits { options.audits.add(setting) }
        #expect(message { _ = try Self.run(options) }.hasPrefix("p.toml:3: [audits.base_rates] min_count must be ≥ 0"))

        #expect(
            message { _ = try Self.options(policy: "[audits.base_rates]\nmin_cnt = 3\n") }
                == "p.toml:2: [audits.base_rates] min_cnt is not an option of the base_rates audit (known: min_count, enabled)"
        )
        #expect(message { _ = try Self.options(policy: "[audits.base_rate]\nmin_count = 3\n") }.hasPrefix("p.toml:2:"))

        var flagged = AuditOptions()
        let claimedBad = flagged.audits.forward(flag: "base-rate-min-count", value: "many", audits: Self.audits)
        #expect(claimedBad)
        #expect(
            message { try flagged.audits.validate(Self.audits) }
                == "--base-rate-min-count: the base_rates audit's option min_count must be an integer, not 'many'")
        let claimedNone = flagged.audits.forward(flag: "no-such-flag", value: "1", audits: Self.audits)
        #expect(!claimedNone)
    }

    @Test func enabledFalseLeavesTheAuditOut() throws {
        let names = { (audits: [any Audit.Type]) in audits.map { $0.name } }
        let all = names(try AuditOptions().audits.enabled(Self.audits))
        #expect(all.contains("base_rates"))
        let off = try Self.options(policy: "[audits.base_rates]\nenabled = false\n")
        #expect(names(try off.audits.enabled(Self.audits)) == all.filter { $0 != "base_rates" })
        var flagged = AuditOptions()
        flagged.audits.forward(flag: "no-base_rates", value: "true", audits: Self.audits)
        #expect(names(try flagged.audits.enabled(Self.audits)) == all.filter { $0 != "base_rates" })
    }
}
