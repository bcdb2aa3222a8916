import Foundation
import Testing

@testable import FairAudit

/// The pre-trained Adult MLP's scores against Keras `predict` (adult_mlp_test_scores.npy,
/// the rows of adult_sample.csv picked out by scripts/fixtures/make_exec_fixtures.py).
@Suite struct AdultForwardTests {
    @Test func kerasLayersMatchKerasPredict() throws {
        let data = try Fixtures.adultSample()
        let net = try Network(graph: Fixtures.adultKerasGraph())
        #expect(net.inputWidth == 80 && net.head == .sigmoid)
        let scores = try net.predictScores(features: data.features, rows: data.rowCount)
        let keras = try Fixtures.floats("adult_sample_scores")
        #expect(keras.count == 2000)
        let worst = zip(scores, keras).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference from Keras: \(worst)")
    }

    @Test func torchStateDictWithInferredChainMatchesKeras() throws {
        var graph = ModelGraph(
            format: "test", layout: .torchStateDict, tensors: try Fixtures.tensors("adult_mlp_torch"))
        let layers = try graph.inferredLayers(activation: .relu, head: .sigmoid)
        #expect(layers.map(\.kind) == [.dense, .activation, .dense, .activation, .dense])
        #expect(layers.filter { $0.kind == .dense }.allSatisfy { $0.kernelLayout == .outIn })
        graph.layers = layers
        let net = try Network(graph: graph)
        let data = try Fixtures.adultSample()
        let scores = try net.predictScores(features: data.features, rows: data.rowCount)
        let keras = try Fixtures.floats("adult_sample_scores")
        let worst = zip(scores, keras).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference from Keras: \(worst)")
    }

    /// Writing parameters back keeps each tensor's orientation: a torch kernel
    /// set to the transpose of the Keras one is the same model.
    @Test func setParameterAndWriteBack() throws {
        var graph = ModelGraph(
            format: "test", layout: .torchStateDict, tensors: try Fixtures.tensors("adult_mlp_torch"))
        graph.layers = try graph.inferredLayers(activation: .relu, head: .sigmoid)
        var net = try Network(graph: graph)
        var w = try net.parameter("net.4.weight")
        w[3] += 0.5
        try net.setParameter("net.4.weight", w)
        #expect(throws: FairAuditError.self) { try net.setParameter("net.4.weight", [1, 2]) }
        try net.write(into: &graph)
        #expect(try graph.tensor(named: "net.4.weight").floatValues() == w)
        #expect(try graph.tensor(named: "net.4.weight").isModified)
        #expect(try !graph.tensor(named: "net.0.weight").isModified, "unchanged tensors keep their bytes")
    }

    @Test func wrongInputWidthIsAnError() throws {
        let net = try Network(graph: Fixtures.adultKerasGraph())
        #expect(throws: FairAuditError.self) { try net.predictScores(features: [1, 2, 3], rows: 1) }
    }
}
