import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit audit` on the convolution and attention zoo (image and token
/// npz data) reports what fairlearn 0.15 computes on Keras's own scores
/// (scripts/fixtures/make_zoo_cnn.py: no row scores within 1e-3 of the
/// threshold, so fairaudit's and Keras's scores, equal within 1e-5, select
/// the same rows).
@Suite struct ZooConvAuditTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/FairAuditTests/Resources/zoo")
    static let models = ["small_cnn_k3", "residual_cnn_k3", "text_cnn_k3", "transformer_k3", "seq_cnn_tf2"]

    @Test("audit metrics equal fairlearn within 1e-9", arguments: models)
    func auditEqualsFairlearn(model: String) throws {
        let file = Self.dir.appendingPathComponent(model + (model.hasSuffix("_tf2") ? ".h5" : ".keras")).path
        let data = Self.dir.appendingPathComponent(model + "_data.npz").path
        let r = try CLI.run(["audit", file, "--data", data, "--label", "label", "--group", "group", "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let ref = try Plugins.formats.read(Self.dir.appendingPathComponent(model + "_ref.npz"))
        func want(_ key: String) throws -> Double {
            try #require(try ref.tensor(named: "fairlearn/" + key).doubleValues().first)
        }

        let metrics = try #require(json["metrics"] as? [String: [String: Any]])
        let names = [
            "accuracy", "selection_rate", "demographic_parity_difference", "demographic_parity_ratio",
            "equalized_odds_difference", "equalized_odds_ratio", "equal_opportunity_difference",
            "equal_opportunity_ratio", "accuracy_difference",
        ]
        for name in names {
            let got = try #require(metrics[name]?["value"] as? Double, "\(model): no value for \(name)")
            let fairlearn = try want(name)
            #expect(abs(got - fairlearn) <= 1e-9, "\(model) \(name): \(got) vs fairlearn \(fairlearn)")
        }
        let groups = try #require(json["groups"] as? [[String: Any]])
        #expect(groups.count == 3)
        for g in groups {
            let name = try #require(g["name"] as? String)
            let count = Int(try want("\(name)/count"))
            #expect(g["count"] as? Int == count, "\(model) group \(name)")
            for m in ["selection_rate", "tpr", "fpr", "accuracy"] {
                let got = try #require(g[m] as? Double)
                let fairlearn = try want("\(name)/\(m)")
                #expect(abs(got - fairlearn) <= 1e-9, "\(model) group \(name) \(m): \(got) vs fairlearn \(fairlearn)")
            }
            // The mean score is of fairaudit's own scores: Keras's within their 1e-5.
            let mean = try #require(g["mean_score"] as? Double)
            let kerasMean = try want("\(name)/mean_score")
            #expect(abs(mean - kerasMean) <= 1e-5, "\(model) group \(name) mean score")
        }
        // Every pair of groups is compared on every trainable tensor.
        let fisher = try #require(json["fisher"] as? [String: Any])
        let pairs = try #require(fisher["pairs"] as? [[String: Any]])
        #expect(pairs.count == 3, "\(model): \(pairs.count) group pairs")
        let trainable = ref.tensors.filter { $0.name.hasPrefix("fisher/0/") }.count
        for pair in pairs {
            #expect((pair["tensors"] as? [Any])?.count == trainable, "\(model): tensors of \(pair["groups"] ?? "")")
        }
    }
}
