import Foundation
import Testing

@testable import FairAudit

/// State dicts: metadata members, per-layer activations, one layout rule,
/// and a Keras config mapped onto PyTorch names.
@Suite struct StateDictArchitectureTests {
    static func int64(_ name: String, _ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(name: name, dtype: .int64, shape: shape, storage: .bytes(Data(count: 8 * n)), origin: name)
    }

    static let weights = [
        tensor("layers.0.weight", [4, 3], .init(repeating: 0.1, count: 12)),
        tensor("layers.0.bias", [4], [0, 0, 0, 0]),
        tensor("layers.2.weight", [2, 4], .init(repeating: 0.2, count: 8)), tensor("layers.2.bias", [2], [0, 0]),
        tensor("layers.4.weight", [1, 2], [1, -1]), tensor("layers.4.bias", [1], [0]),
    ]

    @Test func metadataMembersAreNotWeights() throws {
        let members = [Self.int64("meta_epoch", []), tensor("lr", [], [0.001]), Self.int64("classes", [2])]
        #expect(members.allSatisfy { $0.isMetadata })
        #expect(!Self.weights.contains { $0.isMetadata })
        let g = ModelGraph(format: "npz", layout: .arrays, tensors: [members[0]] + Self.weights + members.dropFirst())
        #expect(StateDictLayout.detect(g.tensors) == .torchStateDict)
        let metadataOnly = g.tensors.filter { $0.isMetadata }
        #expect(StateDictLayout.detect(metadataOnly) == .arrays)
        #expect(g.parameterCount == 12 + 4 + 8 + 2 + 2 + 1)
        let layers = try g.inferredLayers(activations: [.relu], head: .sigmoid)
        #expect(layers.filter { $0.kind == .dense }.map(\.name) == ["layers.0", "layers.2", "layers.4"])
    }

    @Test func excludedFloatMembersAreLeftOut() throws {
        let g = ModelGraph(
            format: "npz", layout: .arrays, tensors: Self.weights + [tensor("feature_mean", [3], [0, 0, 0])])
        #expect(StateDictLayout.detect(g.tensors) == .arrays)
        #expect(throws: FairAuditError.self) { try g.inferredLayers(activations: [.relu], head: .sigmoid) }
        let layers = try g.inferredLayers(activations: [.relu], head: .sigmoid, excluding: ["feature_mean"])
        #expect(layers.count == 5)
    }

    @Test(arguments: [([Activation.tanh], [Activation.tanh, .tanh]), ([.tanh, .relu], [.tanh, .relu])])
    func activationsGoOnePerHiddenLayerOrOneForAll(given: [Activation], expected: [Activation]) throws {
        let g = ModelGraph(format: "npz", layout: .torchStateDict, tensors: Self.weights)
        let layers = try g.inferredLayers(activations: given, head: .sigmoid)
        #expect(layers.filter { $0.kind == .activation }.map(\.activation) == expected)
        #expect(layers.last?.activation == .sigmoid)
    }

    @Test func wrongActivationCountNamesTheHiddenLayers() throws {
        let g = ModelGraph(format: "npz", layout: .torchStateDict, tensors: Self.weights)
        #expect(
            throws: FairAuditError.unsupportedModel(
                reason:
                    "3 activations were given for 2 hidden dense layers ('layers.0', 'layers.2'); give one for all "
                    + "or one per hidden layer"
            )
        ) {
            try g.inferredLayers(activations: [.tanh, .relu, .relu], head: .sigmoid)
        }
    }

    static func config(_ names: [String]) -> String {
        let units = [4, 2, 1]
        let acts = ["tanh", "relu", "sigmoid"]
        let layers = zip(names.indices, names).map { i, n in
            "{\"class_name\": \"Dense\", \"config\": {\"name\": \"\(n)\", \"units\": \(units[i]), \"activation\": "
                + "\"\(acts[i])\"}}"
        }
        return
            "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", "
            + "\"config\": {\"name\": \"in\", \"batch_shape\": [null, 3]}}, "
            + layers.joined(separator: ", ") + "]}}"
    }

    @Test func kerasConfigMapsOntoStateDictNamesInFileOrder() throws {
        var g = ModelGraph(
            format: "npz", layout: .torchStateDict, tensors: [Self.int64("meta_epoch", [])] + Self.weights)
        let pairs = try g.applyArchitecture(json: Self.config(["dense", "dense_1", "head"]))
        #expect(
            pairs.map(\.layer) == ["dense", "dense_1", "head"]
                && pairs.map(\.prefix) == ["layers.0", "layers.2", "layers.4"])
        let dense = try #require(g.layers?.filter { $0.kind == .dense })
        #expect(dense.map { $0.weights[.kernel] } == ["layers.0.weight", "layers.2.weight", "layers.4.weight"])
        #expect(dense.allSatisfy { $0.kernelLayout == .outIn })
        #expect(dense.map(\.activation) == [.tanh, .relu, .sigmoid])
        let net = try Network(graph: g)
        #expect(net.inputWidth == 3)
    }

    @Test func kerasConfigMatchesByNameWhenNamesAgree() throws {
        let named = Self.weights.map { t -> Tensor in
            var t = t
            t.name = t.name.replacingOccurrences(of: "layers.0", with: "b").replacingOccurrences(
                of: "layers.2", with: "a"
            )
            .replacingOccurrences(of: "layers.4", with: "c")
            return t
        }
        // Config order a, b, c would mismatch the file order b, a, c; names decide.
        let reordered = [named[2], named[3], named[0], named[1], named[4], named[5]]
        var g = ModelGraph(format: "npz", layout: .torchStateDict, tensors: reordered)
        #expect(throws: FairAuditError.self) {
            try g.applyArchitecture(
                json: Self.config(["b", "a", "c"]).replacingOccurrences(of: "\"units\": 4", with: "\"units\": 9"))
        }
        let pairs = try g.applyArchitecture(json: Self.config(["b", "a", "c"]))
        #expect(pairs.isEmpty)
        #expect(g.layers?.first { $0.name == "b" }?.weights[.kernel] == "b.weight")
    }

    @Test func countMismatchNamesBothSides() throws {
        var g = ModelGraph(format: "npz", layout: .torchStateDict, tensors: Array(Self.weights.prefix(4)))
        #expect(
            throws: FairAuditError.invalidInput(
                path: "model config",
                reason:
                    "the config has 3 layers with weights (dense, dense_1, head) but the file has 2 groups of "
                    + "weight tensors (layers.0, layers.2)"
            )
        ) {
            try g.applyArchitecture(json: Self.config(["dense", "dense_1", "head"]))
        }
    }
}
