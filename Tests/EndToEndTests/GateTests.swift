import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The release gate run end to end on the bundled example: exit codes 0, 1
/// and 2, the failing check named on stderr, JUnit counts, baselines.
@Suite struct GateTests {
    static let example = CLI.packageRoot.appendingPathComponent("examples/adult")

    /// Writes a policy for the bundled example into a fresh folder and returns its path.
    static func policy(_ gate: String, extra: String = "") throws -> URL {
        let dir = try CLI.temporaryDirectory()
        let text = """
            model = "\(example.appendingPathComponent("model.h5").path)"
            data = "\(example.appendingPathComponent("groups.csv").path)"
            label = "income"
            groups = ["sex"]
            ignore = ["race"]
            bootstrap = 50
            \(extra)
            [gate]
            \(gate)
            """
        let url = dir.appendingPathComponent("fairaudit.toml")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func bundledExamplePolicyPasses() throws {
        let r = try CLI.run(["audit", "--config", "examples/adult/fairaudit.toml", "--no-fisher"], in: CLI.packageRoot)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("gate: PASSED"))
    }

    @Test func passingPolicyExitsZeroAndJUnitHasNoFailures() throws {
        let p = try Self.policy("max_demographic_parity_difference = 0.5\nmin_accuracy = 0.8\n")
        let junit = p.deletingLastPathComponent().appendingPathComponent("junit.xml")
        let r = try CLI.run(["audit", "--no-fisher", "--junit", junit.path], in: p.deletingLastPathComponent())
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try XMLDocument(contentsOf: junit)
        #expect(try doc.nodes(forXPath: "//testcase").count == 2)
        #expect(try doc.nodes(forXPath: "//failure").isEmpty)
    }

    @Test func failingPolicyExitsOneNamingTheCheck() throws {
        let p = try Self.policy(
            "max_demographic_parity_difference = 0.05\nmin_accuracy = 0.8\nmax_equalized_odds_difference = 0.01\n")
        let junit = p.deletingLastPathComponent().appendingPathComponent("junit.xml")
        let r = try CLI.run(["audit", "--config", p.path, "--no-fisher", "--junit", junit.path])
        #expect(r.code == 1)
        #expect(r.stderr.contains("FAIL max_demographic_parity_difference"))
        #expect(r.stderr.contains("FAIL max_equalized_odds_difference"))
        #expect(!r.stderr.contains("min_accuracy"))
        let doc = try XMLDocument(contentsOf: junit)
        #expect(try doc.nodes(forXPath: "//testcase").count == 3)
        let failures = try doc.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 2)
        #expect(failures.first?.stringValue?.contains("> 0.05") == true)
    }

    @Test func commandLineLimitOverridesThePolicy() throws {
        let p = try Self.policy("max_demographic_parity_difference = 0.05\n")
        let r = try CLI.run([
            "audit", "--config", p.path, "--no-fisher", "--limit", "max_demographic_parity_difference=0.5",
        ])
        #expect(r.code == 0, "\(r.stderr)")
    }

    @Test(arguments: [
        ("colour = \"blue\"\n", "unknown key 'colour'", 7),
        ("", "'max_banana_ratio' limits a metric the audit does not report", 0),
    ])
    func badPolicyExitsTwoWithKeyAndLine(extra: String, message: String, line: Int) throws {
        let gate = extra.isEmpty ? "max_banana_ratio = 0.1\n" : ""
        let p = try Self.policy(gate, extra: extra)
        let r = try CLI.run(["audit", "--config", p.path, "--no-fisher"])
        #expect(r.code == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        let expectedLine = line > 0 ? line : 9
        #expect(r.stderr.contains("fairaudit.toml:\(expectedLine):"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func wrongTypeAndMissingModelExitTwo() throws {
        let wrong = try Self.policy("min_accuracy = \"high\"\n")
        let r1 = try CLI.run(["audit", "--config", wrong.path, "--no-fisher"])
        #expect(r1.code == 2 && r1.stderr.contains("'min_accuracy' must be a number") && r1.stderr.contains(":9:"))
        let dir = try CLI.temporaryDirectory()
        let noModel = dir.appendingPathComponent("fairaudit.toml")
        try Data("data = \"x.csv\"\nlabel = \"y\"\ngroups = [\"g\"]\n".utf8).write(to: noModel)
        let r2 = try CLI.run(["audit", "--config", noModel.path])
        #expect(r2.code == 2 && r2.stderr.contains("model"), "\(r2.stderr)")
        let missingFile = try Self.policy("", extra: "").deletingLastPathComponent().appendingPathComponent(
            "fairaudit.toml")
        var text = try String(contentsOf: missingFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "model.h5", with: "no-such-model.h5")
        try Data(text.utf8).write(to: missingFile)
        let r3 = try CLI.run(["audit", "--config", missingFile.path, "--no-fisher"])
        #expect(r3.code == 2 && r3.stderr.contains("no-such-model.h5"), "\(r3.stderr)")
    }

    @Test(arguments: [(0.01, 1), (0.5, 0)])
    func baselineRegression(allowed: Double, expectedCode: Int32) throws {
        let p = try Self.policy("max_regression = \(allowed)\n")
        let dir = p.deletingLastPathComponent()
        // The baseline: this model's own audit with a smaller DP gap written in.
        let first = try CLI.run(["audit", "--config", p.path, "--no-fisher", "--json"])
        #expect(first.code == 0, "\(first.stderr)")
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        var metrics = try #require(doc["metrics"] as? [String: Any])
        let dp = try #require((metrics["demographic_parity_difference"] as? [String: Any])?["value"] as? Double)
        metrics["demographic_parity_difference"] = ["value": dp - 0.1]
        doc["metrics"] = metrics
        let baseline = dir.appendingPathComponent("baseline.json")
        try JSONSerialization.data(withJSONObject: doc).write(to: baseline)
        let r = try CLI.run(["audit", "--config", p.path, "--no-fisher", "--baseline", baseline.path])
        #expect(r.code == expectedCode, "\(r.stderr)")
        if expectedCode == 1 { #expect(r.stderr.contains("max_regression:demographic_parity_difference")) }
    }

    @Test func markdownGoesToTheStepSummary() throws {
        let p = try Self.policy("min_accuracy = 0.8\n")
        let summary = p.deletingLastPathComponent().appendingPathComponent("summary.md")
        let r = try CLI.run(
            ["audit", "--config", p.path, "--no-fisher", "--markdown"],
            environment: ["GITHUB_STEP_SUMMARY": summary.path])
        #expect(r.code == 0)
        let text = try String(contentsOf: summary, encoding: .utf8)
        #expect(
            text.contains("| min_accuracy |")
                && text.trimmingCharacters(in: .whitespacesAndNewlines)
                    == r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}

/// The HTML report is one self-contained page with the charts.
@Suite struct HTMLReportTests {
    @Test func selfContainedPageWithChartsAndGate() throws {
        let dir = try CLI.temporaryDirectory()
        let html = dir.appendingPathComponent("report.html")
        let r = try CLI.run(
            [
                "audit", "--config", "examples/adult/fairaudit.toml", "--html", html.path,
                "--permutations", "3", "--bootstrap", "20",
            ], in: CLI.packageRoot)
        #expect(r.code == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.components(separatedBy: "<svg").count - 1 == 2)
        #expect(
            page.contains("Per-group rates") && page.contains("Fisher divergence (TV) per layer and group comparison"))
        #expect(page.range(of: "<table")?.lowerBound == page.range(of: "<table id=\"gate\"")?.lowerBound)
        #expect(page.contains("max_demographic_parity_difference"))
        #expect(!page.contains("<script"))
        #expect(!page.contains("<link") && !page.contains("src="))
    }
}

/// The `--json` schema CI scripts parse (issue 4): its keys and shapes.
@Suite struct AuditJSONSchemaTests {
    @Test func topLevelKeysAndShapes() throws {
        let r = try CLI.run(
            [
                "audit", "examples/adult/model.h5", "--data", "examples/adult/groups.csv", "--label", "income",
                "--json", "--group", "sex", "--group", "race", "--permutations", "2", "--bootstrap", "10",
            ],
            in: CLI.packageRoot)
        #expect(r.code == 0 || r.code == 1, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["model", "data", "rows", "threshold", "groups", "metrics", "fisher", "timing"] {
            #expect(doc[key] != nil, "missing \(key)")
        }
        #expect(doc["rows"] as? Int == 2000)
        let groups = try #require(doc["groups"] as? [[String: Any]])
        let white = try #require(groups.first { $0["name"] as? String == "Male & White" })
        #expect((white["columns"] as? [String: String]) == ["sex": "Male", "race": "White"])
        for key in ["count", "selection_rate", "tpr", "fpr", "accuracy", "mean_score", "small"] {
            #expect(white[key] != nil, "\(key)")
        }
        let metrics = try #require(doc["metrics"] as? [String: [String: Any]])
        #expect(metrics["accuracy"]?["value"] is Double)
        for gap in [
            "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
            "equalized_odds_ratio",
            "equal_opportunity_difference", "equal_opportunity_ratio", "accuracy_difference",
        ] {
            #expect(metrics[gap]?["value"] is Double, "\(gap)")
            #expect((metrics[gap]?["ci"] as? [Double])?.count == 2, "\(gap) ci")
        }
        let fisher = try #require(doc["fisher"] as? [String: Any])
        let pair = try #require((fisher["pairs"] as? [[String: Any]])?.first)
        #expect((pair["groups"] as? [String])?.count == 2)
        let tensor = try #require((pair["tensors"] as? [[String: Any]])?.first)
        for key in ["name", "tv", "js", "top1_jaccard", "null_tv_mean", "p_value"] {
            #expect(tensor[key] != nil, "\(key)")
        }
        #expect(fisher["influential"] is [Any])
        let timing = try #require(doc["timing"] as? [String: Double])
        #expect(Set(timing.keys) == ["read_model_s", "read_data_s", "predict_s", "metrics_s", "fisher_s"])
    }
}
