import Foundation
import Testing

/// `fairaudit audit` on the executor's model zoo (residual MLP, wide-and-deep,
/// Dense on (N, T, d), merges; Keras 3 and tf.keras 2) against fairlearn 0.15
/// on the library's own scores (scripts/fixtures/make_zoo.py fairlearn).
///
/// The metrics are counts and their ratios, so they are exact when every row
/// gets the same decision: fairaudit's scores agree with the library's to
/// 1e-5 (ZooTests), and the script refuses a fixture with a score within
/// 1e-4 of a threshold, so the decisions are the same and rates and gaps
/// must agree within 1e-9. Mean scores are float32 sums from two
/// computations: within 1e-6.
@Suite struct ZooAuditTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/FairAuditTests/Resources/zoo")
    static let models = ["residual_mlp", "wide_deep", "seq_dense", "merges"].flatMap { ["\($0)_k3", "\($0)_tf2"] }
    static let cases = models.flatMap { m in [0.5, 0.3].map { (m, $0) } }

    /// fairlearn's case for `model` at `threshold`.
    static func expected(_ model: String, threshold: Double) throws -> [String: Any] {
        let all = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("fairlearn_expected.json")))
        let cases = try #require(
            (((all as? [String: Any])?["models"] as? [String: Any])?[model] as? [String: Any])?["cases"]
                as? [[String: Any]], "\(model) is missing from fairlearn_expected.json")
        return try #require(cases.first { ($0["threshold"] as? Double) == threshold })
    }

    @Test("audit rates and gaps equal fairlearn on the library's scores within 1e-9", arguments: cases)
    func auditEqualsFairlearn(model: String, threshold: Double) throws {
        let file = Self.dir.appendingPathComponent(model + (model.hasSuffix("_k3") ? ".keras" : ".h5")).path
        let data = Self.dir.appendingPathComponent(model + "_data.npz").path
        let r = try CLI.run([
            "audit", file, "--data", data, "--label", "label", "--group", "group", "--threshold", "\(threshold)",
            "--min-group-size", "10", "--no-fisher", "--json",
        ])
        #expect(r.code == 0, "\(model): \(r.stderr)")
        let doc = try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        let want = try Self.expected(model, threshold: threshold)
        let wantGroups = try #require(want["groups"] as? [String: [String: Any]])
        let groups = try #require(doc["groups"] as? [[String: Any]])
        #expect(groups.count == wantGroups.count && groups.count == 3, "\(model): \(groups.count) groups")
        for g in groups {
            let name = try #require(g["name"] as? String)
            let e = try #require(wantGroups[name], "\(model): group \(name) is not fairlearn's")
            #expect(g["count"] as? Int == e["count"] as? Int, "\(model) \(name) count")
            for key in ["selection_rate", "tpr", "fpr", "accuracy"] {
                let a = try #require(g[key] as? Double, "\(model) \(name) \(key)")
                let b = try #require(e[key] as? Double)
                #expect(abs(a - b) <= 1e-9, "\(model) \(name) \(key): \(a) vs fairlearn \(b)")
            }
            let a = try #require(g["mean_score"] as? Double)
            let b = try #require(e["mean_score"] as? Double)
            #expect(abs(a - b) <= 1e-6, "\(model) \(name) mean score: \(a) vs \(b)")
        }
        let metrics = try #require(doc["metrics"] as? [String: [String: Any]])
        let wantMetrics = try #require(want["metrics"] as? [String: Any])
        #expect(wantMetrics.count >= 9)
        for (name, value) in wantMetrics {
            let got = try #require(metrics[name]?["value"], "\(model): metric \(name) missing")
            if let b = value as? Double {
                let a = try #require(got as? Double, "\(model) \(name)")
                #expect(abs(a - b) <= 1e-9, "\(model) \(name): \(a) vs fairlearn \(b)")
            } else {
                #expect(got is NSNull, "\(model) \(name): fairlearn gives NaN, got \(got)")
            }
        }
    }
}
