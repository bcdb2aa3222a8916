import Foundation
import Testing

/// Gate and input messages that say what was judged, where a limit came
/// from, and which flag helps (issue 11, item 7).
@Suite struct MessageTests {
    static let data = ["--data", Fixtures.cli("sample.csv")]

    @Test func ciBoundFailureNamesTheJudgedEnd() throws {
        let p = try GateTests.policy(
            "use_ci_bound = true\nmax_demographic_parity_difference = 0.2\nmin_demographic_parity_ratio = 0.05\n")
        let json = p.deletingLastPathComponent().appendingPathComponent("report.json")
        let r = try CLI.run(["audit", "--config", p.path, "--no-fisher", "--json-output", json.path])
        #expect(r.code == 1, "\(r.stderr)")
        let doc = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let metric = try #require(
            (doc["metrics"] as? [String: Any])?["demographic_parity_difference"] as? [String: Any])
        let ci = try #require(metric["ci"] as? [Double])
        let ratio = try #require((doc["metrics"] as? [String: Any])?["demographic_parity_ratio"] as? [String: Any])
        let ratioCI = try #require(ratio["ci"] as? [Double])
        let fail = try #require(Fixtures.lines(r.stderr, starting: "  FAIL max_demographic_parity_difference").first)
        #expect(fail.hasSuffix(": upper bound \(Self.g(ci[1])) > 0.2"), "\(fail)")
        #expect(ci[1] > 0.2)
        let pass = try #require(Fixtures.lines(r.stdout, starting: "  pass min_demographic_parity_ratio").first)
        #expect(pass.hasSuffix(": lower bound \(Self.g(ratioCI[0])) ≥ 0.05"), "\(pass)")
        #expect(ratioCI[0] >= 0.05)
    }

    /// Four significant digits as the report prints them.
    static func g(_ x: Double) -> String {
        var s = String(format: "%.4g", x)
        if s.contains("e") { return s }
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s
    }

    @Test func readmeShowsUseCIBoundUnderGate() throws {
        let readme = try String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let gate = try #require(readme.range(of: "\n[gate]\n"))
        let after = readme[gate.upperBound...]
        let nextTable = after.range(of: "\n[")?.lowerBound ?? after.endIndex
        #expect(after[..<nextTable].contains("use_ci_bound = true"))
        #expect(!readme[..<gate.lowerBound].contains("\nuse_ci_bound"))
    }

    @Test func unknownCommandLineLimitIsBlamedOnTheFlag() throws {
        let p = try GateTests.policy("min_accuracy = 0.5\n")
        let r = try CLI.run(["audit", "--config", p.path, "--no-fisher", "--limit", "max_banana_ratio=0.1"])
        #expect(r.code == 2)
        #expect(
            r.stderr.hasPrefix(
                "fairaudit: --limit max_banana_ratio=0.1: limits a metric the audit does not report (known: "),
            "\(r.stderr)")
        #expect(!r.stderr.contains("fairaudit.toml"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func baselineGroupedByOtherColumnsIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let baseline = dir.appendingPathComponent("race.json")
        let common = [Fixtures.adultH5, "--no-fisher", "--bootstrap", "0", "--label", "income"] + Self.data
        let first = try CLI.run(
            ["audit"] + common + ["--group", "race", "--ignore", "sex", "--json-output", baseline.path])
        #expect(first.code == 0, "\(first.stderr)")
        let r = try CLI.run(["audit"] + common + ["--group", "sex", "--ignore", "race", "--baseline", baseline.path])
        #expect(r.code == 2)
        #expect(
            r.stderr
                == "fairaudit: \(baseline.path): the baseline was grouped by 'race' but this run groups by 'sex'; "
                + "its gaps are between other groups, so compare runs grouped alike\n"
        )
        #expect(r.stdout.isEmpty)
        let same = try CLI.run(
            ["audit"] + common + ["--group", "race", "--ignore", "sex", "--baseline", baseline.path])
        #expect(same.code == 0, "\(same.stderr)")
    }

    @Test func energyOneSuggestsASmallerEnergy() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("fixed.npz")
        let model = Fixtures.cli("mixed_torch.npz")
        let r = try CLI.run(
            ["fix", model, "--activation", "tanh,relu", "--energy", "1", "-o", out.path] + Self.data
                + Fixtures.adultColumns)
        #expect(r.code == 2)
        let line = try #require(Fixtures.lines(r.stderr, starting: "fairaudit: /").first)
        #expect(
            line
                == "fairaudit: \(model): no layer can be factorized at energy 1.0: keeping that share of Σσ² needs "
                + "every weight's full rank (use a smaller --energy such as 0.9, or --method finetune)"
        )
        #expect(!r.stderr.contains("--rank"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func nonBinaryLabelNamesPositive() throws {
        let dir = try CLI.temporaryDirectory()
        let text = try String(contentsOfFile: Fixtures.cli("sample.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let column = try #require(lines[0].split(separator: ",").firstIndex(of: "income"))
        for i in 1..<lines.count {
            var cells = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[column] = cells[column] == "1" ? ">50K" : "<=50K"
            lines[i] = cells.joined(separator: ",")
        }
        let csv = dir.appendingPathComponent("text_labels.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: csv)
        let args = ["audit", Fixtures.adultH5, "--no-fisher", "--data", csv.path] + Fixtures.adultColumns
        let r = try CLI.run(args)
        #expect(r.code == 2)
        #expect(r.stderr.hasPrefix("fairaudit: \(csv.path): line 2, column 'income': the label '"), "\(r.stderr)")
        #expect(r.stderr.contains("is not binary (0/1 or true/false); name the positive value with --positive"))
        let ok = try CLI.run(args + ["--positive", ">50K", "--json"])
        #expect(ok.code == 0, "\(ok.stderr)")
        let plain = try CLI.run(
            ["audit", Fixtures.adultH5, "--no-fisher", "--json"] + Self.data + Fixtures.adultColumns)
        let a = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any]
        #expect((a?["metrics"] as? NSDictionary) == (b?["metrics"] as? NSDictionary))
    }

    @Test func columnCountMismatchListsTheColumnsAndSuggestsFlags() throws {
        let r = try CLI.run(
            ["audit", Fixtures.adultH5, "--no-fisher", "--label", "income", "--group", "sex"] + Self.data)
        #expect(r.code == 2)
        #expect(
            r.stderr
                == "fairaudit: \(Fixtures.cli("sample.csv")): the data has 81 feature columns (age, education_num, capital_gain, …, native_country=Trinadad&Tobago, native_country=United-States, native_country=Vietnam, native_country=Yugoslavia, race: every column but the label, groups and ignored ones) but the model takes 80 inputs; leave columns out with --ignore COL, or name the model's inputs in order with --features a,b,c\n"
        )
    }
}
