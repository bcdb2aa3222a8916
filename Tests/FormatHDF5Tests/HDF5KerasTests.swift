import FairAudit
import FormatHDF5
import Foundation
import Testing

/// The Adult MLP as Keras saved it: Dense 64 relu → Dropout → Dense 32 relu
/// → Dense 1 sigmoid, weights found through `layer_names` / `weight_names`.
@Test(arguments: [
    ("adult_mlp.h5", "model_weights/dense/sequential/dense/kernel", "model_weights/head/sequential/head/bias"),
    ("adult_mlp_keras2.h5", "model_weights/dense/dense/kernel:0", "model_weights/head/head/bias:0"),
])
func adultMLPArchitectureFromModelConfig(file: String, firstKernel: String, lastBias: String) throws {
    let graph = try HDF5Format.read(try Fixtures.url(file))
    try checkAdultLayers(graph, firstKernel: firstKernel, lastBias: lastBias)
}

/// Checks the four Adult layers after an InputLayer, and that each weight
/// tensor has the shape its role needs.
func checkAdultLayers(_ graph: ModelGraph, firstKernel: String, lastBias: String) throws {
    let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
    #expect(layers.map(\.kind) == [.input, .dense, .dropout, .dense, .dense])
    #expect(
        layers.map(\.name) == ["input_layer", "dense", "dropout", "dense_1", "head"]
            || layers.map(\.name) == ["dense_input", "dense", "dropout", "dense_1", "head"])
    let dense = layers.filter { $0.kind == .dense }
    #expect(dense.map(\.units) == [64, 32, 1])
    #expect(dense.map(\.activation) == [.relu, .relu, .sigmoid])
    #expect(dense.allSatisfy { $0.kernelLayout == .inOut })
    #expect(dense[0].weights[.kernel] == firstKernel)
    #expect(dense[2].weights[.bias] == lastBias)
    #expect(graph.inputWidth == 80)
    let shapes = [[80, 64], [64, 32], [32, 1]]
    for (layer, shape) in zip(dense, shapes) {
        let k = try graph.tensor(named: try #require(layer.weights[.kernel]))
        let b = try graph.tensor(named: try #require(layer.weights[.bias]))
        #expect(k.shape == shape)
        #expect(b.shape == [shape[1]])
    }
}

/// Keras 3 weights-only file: tensors and no architecture when alone; the
/// architecture from `--config` (applied by hand here) or from a sidecar
/// `<stem>.config.json` / `config.json` beside it (weights by `vars@name`).
@Test func keras3WeightsWithConfig() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let alone = dir.appendingPathComponent("adult_mlp.weights.h5")
    try FileManager.default.copyItem(at: try Fixtures.url("adult_mlp.weights.h5"), to: alone)
    var graph = try HDF5Format.read(alone)
    #expect(graph.layers == nil)
    #expect(graph.architectureNote?.contains("config.json") == true)
    let json = try String(contentsOf: try Fixtures.url("adult_mlp.config.json"), encoding: .utf8)
    try KerasConfig.apply(json: json, to: &graph)
    try checkAdultLayers(graph, firstKernel: "layers/dense/vars/0", lastBias: "layers/dense_2/vars/1")

    for sidecar in ["adult_mlp.config.json", "config.json"] {
        let side = dir.appendingPathComponent(sidecar)
        try Data(json.utf8).write(to: side)
        let found = try HDF5Format.read(alone)
        try checkAdultLayers(found, firstKernel: "layers/dense/vars/0", lastBias: "layers/dense_2/vars/1")
        #expect(found.metadata.contains { $0.key == "architecture_from" && $0.value == sidecar })
        try FileManager.default.removeItem(at: side)
    }
    try Data(
        "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"LSTM\", \"config\": {}}]}}".utf8
    )
    .write(to: dir.appendingPathComponent("config.json"))
    let unknown = try HDF5Format.read(alone)
    #expect(unknown.layers == nil && unknown.architectureNote?.contains("LSTM") == true)
}

/// The same weights under three layouts hold the same values: the Keras 3
/// legacy kernel equals the Keras 2 one and the `.weights.h5` one.
@Test func sameWeightsAcrossKerasLayouts() throws {
    let legacy = try HDF5Format.read(try Fixtures.url("adult_mlp.h5"))
    let k2 = try HDF5Format.read(try Fixtures.url("adult_mlp_keras2.h5"))
    let w3 = try HDF5Format.read(try Fixtures.url("adult_mlp.weights.h5"))
    let a = try legacy.tensor(named: "model_weights/dense_1/sequential/dense_1/kernel").rawBytes()
    #expect(try k2.tensor(named: "model_weights/dense_1/dense_1/kernel:0").rawBytes() == a)
    #expect(try w3.tensor(named: "layers/dense_1/vars/0").rawBytes() == a)
}

/// A Keras 3 Functional chain with BatchNormalization (epsilon 0.01) and
/// LayerNormalization without beta (epsilon 1e-5).
@Test func functionalChainWithNormalization() throws {
    let graph = try HDF5Format.read(try Fixtures.url("functional_bn.h5"))
    let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
    #expect(layers.map(\.kind) == [.input, .dense, .batchNormalization, .layerNormalization, .activation, .dense])
    #expect(layers[1].activation == .tanh)
    #expect(layers[2].epsilon == 0.01)
    #expect(
        layers[2].weights == [
            .gamma: "model_weights/bn/bn/gamma", .beta: "model_weights/bn/bn/beta",
            .movingMean: "model_weights/bn/bn/moving_mean",
            .movingVariance: "model_weights/bn/bn/moving_variance",
        ])
    #expect(layers[3].epsilon == 1e-5)
    #expect(layers[3].weights == [.gamma: "model_weights/ln/ln/gamma"])
    #expect(layers[4].activation == .relu)
    #expect(layers[5].activation == .softmax)
    #expect(layers[5].weights == [.kernel: "model_weights/out/out/kernel"])
    #expect(graph.inputWidth == 6)
    // moving_mean as Keras assigned it: linspace(-1, 1, 5).
    let mm = try graph.tensor(named: "model_weights/bn/bn/moving_mean").floatValues()
    #expect(mm == [-1, -0.5, 0, 0.5, 1])
}

/// A branching Functional model is read as a graph: each layer names the
/// layers feeding it, the output layer comes last.
@Test func branchingModelIsAGraph() throws {
    let graph = try HDF5Format.read(try Fixtures.url("branching.h5"))
    let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
    #expect(layers.map(\.name) == ["a", "b1", "b2", "cat"])
    #expect(layers.map(\.inbound) == [[], ["a"], ["a"], ["b1", "b2"]])
    #expect(layers[0].shape == [4] && layers[3].kind == .concatenate)
    #expect(layers[1].weights[.kernel] != nil && layers[2].weights[.bias] != nil)
}

/// The config parser on its own: unknown classes are named, never guessed.
@Test(arguments: [("LSTM", "LSTM"), ("Lambda", "Lambda"), ("MyCustomLayer", "MyCustomLayer")])
func unknownLayerClassIsNamed(cls: String, mention: String) throws {
    let json = """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}},
          {"class_name": "\(cls)", "config": {"name": "odd"}}]}}
        """
    let arch = try KerasConfig.architecture(fromJSON: json, weights: [:], shapes: [:])
    #expect(arch.layers == nil)
    #expect(arch.note?.contains(mention) == true)
    #expect(arch.note?.contains("odd") == true)
}

/// Keras splits a long `layer_names` into `layer_names0`, `layer_names1`, …;
/// the parts are joined in order.
@Test func splitLayerNamesAreJoined() throws {
    let graph = try HDF5Format.read(try Fixtures.url("split_layer_names.h5"))
    try checkAdultLayers(
        graph, firstKernel: "model_weights/dense/dense/kernel:0", lastBias: "model_weights/head/head/bias:0")
}

/// `--config` on a graph from another format: tensors named `<layer>/<role>`
/// (as an npz of Keras weights names them) are found by the layer's name.
@Test func configAppliedToPlainlyNamedTensors() throws {
    let keras2 = try HDF5Format.read(try Fixtures.url("adult_mlp_keras2.h5"))
    let renamed = try keras2.tensors.filter { $0.name.hasPrefix("model_weights/") }.map { t -> Tensor in
        let parts = t.name.split(separator: "/")
        let name = parts[1] + "/" + parts[3].replacingOccurrences(of: ":0", with: "")
        return Tensor(name: String(name), dtype: t.dtype, shape: t.shape, storage: .bytes(try t.rawBytes()))
    }
    var graph = ModelGraph(format: "npz", layout: .arrays, tensors: renamed)
    let json = try #require(keras2.metadata.first { $0.key == "@model_config" }?.value)
    try KerasConfig.apply(json: json, to: &graph)
    try checkAdultLayers(graph, firstKernel: "dense/kernel", lastBias: "head/bias")
}
