import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// Issue 4 acceptance: the Adult MLP's scores on all of adult_test equal Keras
/// `predict` (adult_mlp_test_scores.npy, as Keras wrote it) within 1e-5, read
/// from every file the model ships as, through the format plugins.
@Suite struct RealFilesForwardTests {
    static let files: [(String, String, Bool)] = [
        ("adult_mlp", "h5", false), ("adult_mlp_keras2", "h5", false), ("adult_mlp", "keras", false),
        ("adult_mlp_torch", "npz", true), ("adult_mlp_torch", "h5", true),
    ]

    @Test(arguments: files.map { "\($0.0).\($0.1)" })
    func scoresEqualKerasPredict(file: String) throws {
        let entry = try #require(Self.files.first { "\($0.0).\($0.1)" == file })
        var graph = try Plugins.formats.read(Fixtures.url(entry.0, entry.1))
        if entry.2 { graph.layers = try graph.inferredLayers(activation: .relu, head: .sigmoid) }
        let net = try Network(graph: graph)
        let data = try LabeledData.load(
            from: Fixtures.url("adult_test.csv", "gz"),
            options: CSVDataOptions(
                label: "income", groups: ["sex"], ignore: ["race"],
                expectedFeatureCount: net.inputWidth))
        let keras = try Plugins.formats.read(Fixtures.url("adult_mlp_test_scores", "npy"))
        let expected = try #require(keras.tensors.first).floatValues()
        #expect(expected.count == 15060 && data.rowCount == 15060)
        let scores = try net.predictScores(features: data.features, rows: data.rowCount)
        let worst = zip(scores, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(file): largest difference from Keras \(worst)")
    }
}
