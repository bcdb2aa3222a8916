import Foundation
import Testing

@testable import FairAudit

/// Chains inferred from state-dict names and shapes.
@Suite struct InferredLayersTests {
    static func graph(_ shapes: [(String, [Int])]) -> ModelGraph {
        ModelGraph(
            format: "test", layout: .torchStateDict,
            tensors: shapes.map { tensor($0.0, $0.1, [Float](repeating: 0.5, count: $0.1.reduce(1, *))) })
    }

    @Test func numericOrderAndBatchNorm() throws {
        // Stored out of order on purpose: net.10 must come after net.2.
        let g = Self.graph([
            ("net.10.weight", [2, 4]), ("net.10.bias", [2]),
            ("net.0.weight", [6, 3]), ("net.0.bias", [6]),
            ("net.1.weight", [6]), ("net.1.bias", [6]), ("net.1.running_mean", [6]),
            ("net.1.running_var", [6]), ("net.1.num_batches_tracked", []),
            ("net.2.weight", [4, 6]), ("net.2.bias", [4]),
        ])
        let layers = try g.inferredLayers(activation: .tanh, head: .softmax)
        #expect(layers.map(\.name) == ["net.0", "net.1", "net.2.activation", "net.2", "net.10.activation", "net.10"])
        #expect(layers.map(\.kind) == [.dense, .batchNormalization, .activation, .dense, .activation, .dense])
        #expect(
            layers[1].weights[.gamma] == "net.1.weight" && layers[1].weights[.movingVariance] == "net.1.running_var")
        #expect(layers[1].epsilon == 1e-5)
        #expect(layers[2].activation == .tanh && layers[5].activation == .softmax)
        var withLayers = g
        withLayers.layers = layers
        let net = try Network(graph: withLayers)
        #expect(net.inputWidth == 3 && net.outputWidth == 2 && net.head == .softmax)
        #expect(
            net.trainableNames == [
                "net.0.weight", "net.0.bias", "net.1.weight", "net.1.bias",
                "net.2.weight", "net.2.bias", "net.10.weight", "net.10.bias",
            ])
        #expect(net.trainableShapes == [[6, 3], [6], [6], [6], [4, 6], [4], [2, 4], [2]])
    }

    @Test func shapesThatDoNotChainAreAnError() throws {
        let g = Self.graph([("net.0.weight", [64, 80]), ("net.2.weight", [32, 60])])
        #expect {
            try g.inferredLayers(activation: .relu, head: .sigmoid)
        } throws: { error in
            "\(error)".contains("'net.2.weight' (shape [32, 60]) takes 60 inputs but 'net.0.weight' gives 64")
        }
    }

    @Test func unsupportedHeadsAreErrors() throws {
        var g = Self.graph([("l.0.weight", [3, 4])])
        g.layers = try g.inferredLayers(activation: .relu, head: .sigmoid)
        #expect(throws: FairAuditError.self) { try Network(graph: g) }  // 3 sigmoid outputs: no binary score
        var relu = Self.graph([("l.0.weight", [1, 4])])
        relu.layers = [
            Layer(name: "l.0", kind: .dense, activation: .relu, weights: [.kernel: "l.0.weight"], kernelLayout: .outIn)
        ]
        #expect(throws: FairAuditError.self) { try Network(graph: relu) }
        let none = Self.graph([("l.0.weight", [1, 4])])
        #expect(throws: FairAuditError.self) { try Network(graph: none) }
    }
}
