import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// `inspect`'s layer table against Keras' own `model.summary()` shapes for
/// every zoo model (scripts/fixtures/make_zoo_shapes.py wrote them from
/// Keras 3 and tf.keras 2).
@Suite struct ZooSummaryTests {
    static let models = ZooTests.models + ZooConvTests.models

    @Test("every layer's output shape is the one Keras reports", arguments: models)
    func shapesEqualKeras(model: String) throws {
        let keras = try JSONDecoder().decode(
            [String: [String: [Int]]].self, from: Data(contentsOf: try ZooTests.url("keras_shapes.json")))
        let expected = try #require(keras[model], "no Keras shapes for \(model)")
        let graph = try Plugins.formats.read(try ZooTests.url(model + (model.hasSuffix("_k3") ? ".keras" : ".h5")))
        let summary = ArchitectureSummary(graph: graph, layers: try #require(graph.layers))
        var compared = 0
        for row in summary.rows {
            guard let shape = expected[row.name] else { continue }
            #expect(row.outputShape == shape, "\(model): layer \(row.name)")
            compared += 1
        }
        // Every Keras layer has its row (tf.keras 2 Sequential models have no InputLayer in `model.layers`).
        #expect(compared == expected.count, "\(model): \(compared) of \(expected.count) layers compared")
    }

    @Test("the text table prints shapes as Keras does, batch axis first")
    func kerasNotation() {
        #expect(ArchitectureSummary.keras([16, 16, 8]) == "(None, 16, 16, 8)")
        #expect(ArchitectureSummary.keras([1]) == "(None, 1)")
    }
}
