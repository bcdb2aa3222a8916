import AuditFairness
import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// Files written by tf.keras 2 (tf-keras 2.21 via
/// scripts/fixtures/make_tfkeras2_fixtures.py): Sequential and Functional
/// models with BatchNormalization (axis saved as `[1]`), LayerNormalization,
/// Dropout, elu/selu/gelu/tanh/sigmoid, ReLU and LeakyReLU layers, sigmoid and
/// 2-unit softmax heads, and a `save_weights` file with its `to_json()`.
@Suite struct TFKeras2Tests {
    /// File → the tf.keras `predict` scores it must reproduce.
    static let files: [(file: String, scores: String)] = [
        ("seq_bn.h5", "seq_bn"), ("seq_acts.h5", "seq_acts"), ("func_bn.h5", "func_bn"),
        ("func_acts.h5", "func_acts"), ("seq_bn_weights.h5", "seq_bn"),
    ]

    static func url(_ file: String) throws -> URL {
        let ns = file as NSString
        return try #require(
            Bundle.module.url(
                forResource: ns.deletingPathExtension, withExtension: ns.pathExtension,
                subdirectory: "Resources/tfkeras2"), "missing fixture tfkeras2/\(file)")
    }

    /// The file read through the plugins, the weights-only one with its config beside it.
    static func graph(_ file: String) throws -> ModelGraph {
        try Plugins.formats.read(url(file))
    }

    static func rows(width: Int) throws -> LabeledData {
        try LabeledData.load(
            from: url("rows.csv.gz"),
            options: CSVDataOptions(
                label: "income", groups: ["sex"], ignore: ["race"],
                expectedFeatureCount: width))
    }

    static func kerasScores(_ stem: String) throws -> [Float] {
        try #require(try Plugins.formats.read(url(stem + "_scores.npy")).tensors.first).floatValues()
    }

    @Test(arguments: files.map(\.file))
    func scoresEqualTFKerasPredict(file: String) throws {
        let stem = try #require(Self.files.first { $0.file == file }).scores
        let graph = try Self.graph(file)
        #expect(graph.layers != nil, "\(graph.architectureNote ?? "")")
        let net = try Network(graph: graph)
        let data = try Self.rows(width: net.inputWidth)
        let expected = try Self.kerasScores(stem)
        #expect(expected.count == 400 && data.rowCount == 400)
        let scores = try net.predictScores(features: data.features, rows: data.rowCount)
        let worst = zip(scores, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(file): largest difference from tf.keras \(worst)")
    }

    /// tf.keras 2 writes BatchNormalization's axis as `[1]` and LeakyReLU's
    /// slope as `alpha`; both are read as Keras means them.
    @Test func batchNormalizationAxisListAndLeakyAlphaAreRead() throws {
        let seq = try #require(try Self.graph("seq_bn.h5").layers)
        let bn = try #require(seq.first { $0.name == "bn" })
        #expect(bn.kind == .batchNormalization && bn.epsilon == 0.001)
        #expect(bn.weights[.movingVariance] == "model_weights/bn/bn/moving_variance:0")
        let fn = try #require(try Self.graph("func_bn.h5").layers)
        #expect(
            fn.map(\.kind) == [
                .input, .dense, .batchNormalization, .activation, .dropout, .dense,
                .layerNormalization, .dense,
            ])
        #expect(fn[2].epsilon == 0.01)
        let acts = try #require(try Self.graph("seq_acts.h5").layers)
        let leaky = try #require(acts.first { $0.className == "LeakyReLU" })
        #expect(abs(leaky.negativeSlope - 0.1) < 1e-7)
        #expect(
            acts.filter { $0.kind == .dense }.map(\.activation) == [.elu, .selu, .linear, .gelu, .linear, .softmax])
        let f2 = try #require(try Self.graph("func_acts.h5").layers)
        let scaleless = try #require(f2.first { $0.kind == .batchNormalization })
        #expect(scaleless.weights[.gamma] == nil && scaleless.weights[.beta] != nil)
        #expect(abs((f2.first { $0.className == "LeakyReLU" }?.negativeSlope ?? 0) - 0.3) < 1e-7)
    }

    /// fairaudit's metrics on its own scores equal fairlearn's on tf.keras's
    /// (the rates to 1e-9: no score lies within 1e-4 of a threshold, so no
    /// decision differs; the mean scores to 1e-6, as the scores agree to 1e-5).
    @Test(arguments: ["seq_bn", "seq_acts", "func_bn", "func_acts"])
    func metricsEqualFairlearnOnTFKerasScores(model: String) throws {
        let graph = try Self.graph(model + ".h5")
        let net = try Network(graph: graph)
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.url("expected.json"))) as? [String: Any]
        let cases =
            try #require((all?["models"] as? [String: Any])?[model] as? [String: Any])["cases"] as? [[String: Any]]
        for c in try #require(cases) {
            let columns = try #require(c["columns"] as? [String])
            let data = try LabeledData.load(
                from: Self.url("rows.csv.gz"),
                options: CSVDataOptions(
                    label: "income", groups: columns,
                    ignore: ["sex", "race"].filter { !columns.contains($0) },
                    expectedFeatureCount: net.inputWidth))
            let scores = try net.predictScores(features: data.features, rows: data.rowCount)
            let report = try FairnessReport(
                scores: scores, labels: data.labels, rowGroups: data.rowGroups,
                groupNames: data.groupNames, threshold: try #require(c["threshold"] as? Double),
                minGroupSize: try #require(c["min_group_size"] as? Int))
            let groups = try #require(c["groups"] as? [String: [String: Any]])
            #expect(report.groups.count == groups.count)
            for g in report.groups {
                let e = try #require(groups[g.group], "\(model): group \(g.group) not in fairlearn's output")
                #expect(g.count == e["count"] as? Int)
                for (name, value) in [
                    ("selection_rate", g.selectionRate), ("tpr", g.tpr), ("fpr", g.fpr), ("accuracy", g.accuracy),
                ] {
                    let want = try #require(e[name] as? Double)
                    #expect(abs(value - want) <= 1e-9, "\(model) \(g.group) \(name): \(value) vs fairlearn \(want)")
                }
                let mean = try #require(e["mean_score"] as? Double)
                #expect(abs(g.meanScore - mean) <= 1e-6, "\(model) \(g.group) mean score")
            }
            let metrics = try #require(c["metrics"] as? [String: Any])
            for gap in report.gapMetrics {
                if let want = metrics[gap.name] as? Double {
                    #expect(abs(gap.value - want) <= 1e-9, "\(model) \(gap.name): \(gap.value) vs fairlearn \(want)")
                } else {
                    #expect(gap.value.isNaN, "\(model) \(gap.name): fairlearn gives NaN")
                }
            }
        }
    }
}
