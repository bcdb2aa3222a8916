import Foundation
import Testing

@testable import FairAudit

/// fairaudit.toml parsing and gate evaluation.
@Suite struct PolicyTests {
    static let example = """
        model = "examples/adult/model.h5"
        data = "examples/adult/groups.csv"
        label = "income"
        groups = ["sex"]
        ignore = ["race"]              # columns that are neither features nor groups
        threshold = 0.5
        [gate]
        max_demographic_parity_difference = 0.10
        max_equalized_odds_difference = 0.10
        min_demographic_parity_ratio = 0.80
        min_accuracy = 0.80
        max_regression = 0.02          # against --baseline
        use_ci_bound = false
        [fix]
        rank = 8
        penalty = "eo"
        lambda = 1.0
        """

    @Test func parsesTheDocumentedExample() throws {
        let p = try Policy.parse(Self.example, file: "fairaudit.toml")
        #expect(p.model == "examples/adult/model.h5")
        #expect(p.label == "income" && p.groups == ["sex"] && p.ignore == ["race"])
        #expect(p.threshold == 0.5)
        #expect(
            p.limits.map(\.key) == [
                "max_demographic_parity_difference", "max_equalized_odds_difference",
                "min_demographic_parity_ratio", "min_accuracy",
            ])
        #expect(p.limits.map(\.line) == [8, 9, 10, 11])
        #expect(p.maxRegression == 0.02 && p.useCIBound == false)
        #expect(p.fix == ["rank": "8", "penalty": "eo", "lambda": "1.0"])
    }

    @Test(arguments: [
        ("labels = \"income\"\n", 1, "unknown key 'labels'"),
        ("label = \"income\"\n[gate]\nmax_dp = \"high\"\n", 3, "'max_dp' must be a number"),
        ("label = \"income\"\n\n[gate]\nmaximum_dp = 0.1\n", 4, "unknown key 'maximum_dp' in [gate]"),
        ("groups = \"sex\"\n", 1, "'groups' must be an array of strings"),
        ("label = \n", 1, "invalid TOML"),
        ("[fix]\nrnak = 8\n", 2, "unknown key 'rnak' in [fix]"),
        ("[report]\nx = 1\n", 1, "unknown key 'report'"),
    ])
    func errorsNameTheKeyAndLine(text: String, line: Int, reason: String) {
        do {
            _ = try Policy.parse(text, file: "p.toml")
            Issue.record("expected an error for \(text)")
        } catch let e as FairAuditError {
            guard case .policy(_, let got, _) = e else {
                Issue.record("not a policy error: \(e)")
                return
            }
            #expect(got == line)
            #expect(e.description.contains(reason), "\(e.description)")
            #expect(e.description.hasPrefix("p.toml:\(line): "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func gateJudgesPointValuesOrCIBounds() throws {
        var p = try Policy.parse("[gate]\nmax_gap_difference = 0.1\nmin_accuracy = 0.8\n", file: "p.toml")
        let metrics = [
            AuditMetric(name: "gap_difference", value: 0.09, interval: 0.05...0.13),
            AuditMetric(name: "accuracy", value: 0.85, interval: 0.79...0.9),
        ]
        #expect(try p.evaluate(metrics).map(\.passed) == [true, true])
        p.useCIBound = true
        let checks = try p.evaluate(metrics)
        #expect(checks.map(\.passed) == [false, false])
        #expect(checks[0].judged == 0.13 && checks[1].judged == 0.79)
    }

    @Test func unknownMetricInGateIsAnErrorWithItsLine() throws {
        let p = try Policy.parse("\n[gate]\nmax_nonsense = 0.1\n", file: "p.toml")
        #expect(
            throws: FairAuditError.policy(
                file: "p.toml", line: 3,
                reason: "'max_nonsense' limits a metric the audit does not report (known: accuracy)")
        ) {
            try p.evaluate([AuditMetric(name: "accuracy", value: 0.9)])
        }
    }

    @Test(arguments: [(0.15, 0.12, true), (0.15, 0.18, false)])
    func regressionAgainstBaseline(before: Double, now: Double, passes: Bool) throws {
        let p = try Policy.parse("[gate]\nmax_regression = 0.02\n", file: "p.toml")
        let checks = try p.evaluate(
            [
                AuditMetric(name: "demographic_parity_difference", value: now),
                AuditMetric(name: "demographic_parity_ratio", value: 0.5),
            ],
            baseline: ["demographic_parity_difference": before])
        #expect(checks.count == 1)
        #expect(checks[0].passed == passes)
        #expect(abs(checks[0].judged - (now - before)) < 1e-12)
    }
}

/// The architecture keys of fairaudit.toml.
@Suite struct PolicyArchitectureKeyTests {
    @Test(arguments: ["activation = \"tanh,relu\"", "activation = [\"tanh\", \"relu\"]"])
    func architectureKeysParse(activation: String) throws {
        let p = try Policy.parse(
            "architecture = \"m.json\"\n\(activation)\nhead = \"softmax\"\nexclude = [\"feature_mean\"]\n",
            file: "p.toml")
        #expect(p.architecture == "m.json" && p.head == "softmax")
        #expect(p.activation == ["tanh", "relu"])
        #expect(p.exclude == ["feature_mean"])
    }

    @Test(arguments: [
        ("activation = 3\n", "'activation' must be a string"),
        ("architecture = [\"a\"]\n", "'architecture' must be a string"),
        ("exclude = \"x\"\n", "'exclude' must be an array of strings"),
    ])
    func wrongTypesNameTheKey(text: String, reason: String) {
        #expect(throws: FairAuditError.self) { try Policy.parse(text, file: "p.toml") }
        do { _ = try Policy.parse(text, file: "p.toml") } catch {
            #expect("\(error)".contains(reason) && "\(error)".hasPrefix("p.toml:1: "))
        }
    }

    @Test func commandLineLimitsAreBlamedOnTheFlag() throws {
        var p = Policy()
        var limit = Policy.Limit(metric: "banana_ratio", kind: .max, bound: 0.1, line: 0)
        limit.origin = .commandLine
        p.limits = [limit]
        #expect(
            throws: FairAuditError.invalidInput(
                path: "--limit max_banana_ratio=0.1",
                reason: "limits a metric the audit does not report (known: accuracy)")
        ) {
            try p.evaluate([AuditMetric(name: "accuracy", value: 0.9)])
        }
    }

    @Test func ciBoundChecksNameTheJudgedEnd() throws {
        var p = try Policy.parse("[gate]\nmax_gap_difference = 0.1\nmin_accuracy = 0.8\n", file: "p.toml")
        p.useCIBound = true
        let checks = try p.evaluate([
            AuditMetric(name: "gap_difference", value: 0.07821, interval: 0.01859...0.1367),
            AuditMetric(name: "accuracy", value: 0.85, interval: 0.81...0.9),
        ])
        #expect(checks[0].judgedEnd == .upper && checks[1].judgedEnd == .lower)
        #expect(checks[0].summary == "FAIL max_gap_difference: 0.07821 [0.01859, 0.1367]: upper bound 0.1367 > 0.1")
        #expect(checks[1].summary == "pass min_accuracy: 0.85 [0.81, 0.9]: lower bound 0.81 ≥ 0.8")
        p.useCIBound = false
        #expect(
            try p.evaluate([
                AuditMetric(name: "gap_difference", value: 0.07821, interval: 0.01859...0.1367),
                AuditMetric(name: "accuracy", value: 0.85),
            ]).allSatisfy { $0.judgedEnd == nil })
    }
}
