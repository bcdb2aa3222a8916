import FairAudit
import FormatHDF5
import Foundation
import Testing

/// A Keras 3 `.keras` zip: tensors from its model.weights.h5 (extracted to
/// a private temporary file), architecture from its config.json.
@Test func kerasBundleArchitecture() throws {
    let graph = try HDF5Format.read(try Fixtures.url("adult_mlp.keras"))
    #expect(graph.layout == .kerasBundle)
    try checkAdultLayers(graph, firstKernel: "layers/dense/vars/0", lastBias: "layers/dense_2/vars/1")
    #expect(graph.metadata.contains { $0.key == "bundle@metadata.json" && $0.value.contains("3.15.1") })
    // The same kernel as the legacy .h5 Keras wrote from the same model.
    let legacy = try HDF5Format.read(try Fixtures.url("adult_mlp.h5"))
    #expect(
        try graph.tensor(named: "layers/dense/vars/0").rawBytes()
            == legacy.tensor(named: "model_weights/dense/sequential/dense/kernel").rawBytes())
}

@Test func functionalBundleWithNormalization() throws {
    let graph = try HDF5Format.read(try Fixtures.url("functional_bn.keras"))
    let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
    #expect(layers.map(\.kind) == [.input, .dense, .batchNormalization, .layerNormalization, .activation, .dense])
    // Keras 3 names the weight groups by class: batch_normalization, layer_normalization, dense_1.
    #expect(layers[2].weights[.movingVariance] == "layers/batch_normalization/vars/3")
    #expect(layers[3].weights == [.gamma: "layers/layer_normalization/vars/0"])
    #expect(layers[5].weights == [.kernel: "layers/dense_1/vars/0"])
    let legacy = try HDF5Format.read(try Fixtures.url("functional_bn.h5"))
    #expect(
        try graph.tensor(named: "layers/batch_normalization/vars/2").rawBytes()
            == legacy.tensor(named: "model_weights/bn/bn/moving_mean").rawBytes())
}

/// Writing back a `.keras` with one changed kernel: a zip with the same
/// members in the same order, config.json and metadata.json records byte
/// for byte, and in model.weights.h5 only that kernel changed.
@Test func kerasBundleWriteBack() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try Fixtures.url("adult_mlp.keras")
    var graph = try HDF5Format.read(src)
    let name = "layers/dense_1/vars/0"
    let halved = try graph.tensor(named: name).floatValues().map { $0 / 2 }
    try graph.replaceValues(of: name, with: halved)
    let out = dir.appendingPathComponent("out.keras")
    try HDF5Format.write(graph, to: out, basedOn: src)

    let a = try ZipArchive(url: src)
    let b = try ZipArchive(url: out)
    #expect(a.entries.map(\.name) == b.entries.map(\.name))
    for e in a.entries where e.name != "model.weights.h5" {
        let f = try #require(b.entry(named: e.name))
        #expect(try a.rawRecord(for: e) == b.rawRecord(for: f), "\(e.name)")
    }
    let before = try HDF5Format.read(src)
    let after = try HDF5Format.read(out)
    #expect(after.layout == .kerasBundle)
    #expect(after.layers == before.layers)
    #expect(after.metadata.map(\.key) == before.metadata.map(\.key))
    #expect(after.metadata.map(\.value) == before.metadata.map(\.value))
    #expect(after.tensors.map(\.name) == before.tensors.map(\.name))
    for (x, y) in zip(before.tensors, after.tensors) {
        if x.name == name {
            #expect(try y.floatValues() == halved)
        } else {
            #expect(try x.rawBytes() == y.rawBytes(), "\(x.name)")
        }
    }
}

/// A `.keras` source written to a `.weights.h5` name gives its weights file
/// alone; a `.keras` output from a legacy `.h5` is a new bundle.
@Test func kerasBundleToWeightsFileAndBack() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try Fixtures.url("adult_mlp.keras")
    let graph = try HDF5Format.read(src)
    let out = dir.appendingPathComponent("model.weights.h5")
    try HDF5Format.write(graph, to: out, basedOn: src)
    let weights = try HDF5Format.read(out)
    #expect(weights.layout == .keras3Weights)
    #expect(weights.tensors.map(\.name) == graph.tensors.map(\.name))
    // A legacy .h5 source gives a new bundle, built from its architecture.
    let h5 = try Fixtures.url("adult_mlp.h5")
    let legacy = try HDF5Format.read(h5)
    try HDF5Format.write(legacy, to: dir.appendingPathComponent("x.keras"), basedOn: h5)
    let bundle = try HDF5Format.read(dir.appendingPathComponent("x.keras"))
    #expect(bundle.layout == .kerasBundle)
    try HDF5KerasWriteTests.expectSameWeights(legacy, bundle)
}

/// The kind of output is judged on the whole name, so the temporary name a
/// caller's atomic write uses (`.out.keras.tmp-…`) still gets a `.keras` zip.
@Test func bundleOutputKindFollowsTheWholeName() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try Fixtures.url("adult_mlp.keras")
    let graph = try HDF5Format.read(src)
    let tmp = dir.appendingPathComponent(".fixed.keras.tmp-12-34")
    try HDF5Format.write(graph, to: tmp, basedOn: src)
    #expect(try FormatRegistry.prefix(of: tmp, count: 4) == [0x50, 0x4B, 0x03, 0x04])
    let h5tmp = dir.appendingPathComponent(".fixed.weights.h5.tmp-12-34")
    try HDF5Format.write(graph, to: h5tmp, basedOn: src)
    #expect(try FormatRegistry.prefix(of: h5tmp, count: 8) == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A])
}

/// A `config.json` declaring more than 64 MB (here 65 MB of spaces, deflated
/// to kilobytes) is refused before it is inflated, with one line naming the
/// bundle; the same bundle with the real config reads.
@Test func oversizedConfigIsRefusedBeforeInflating() throws {
    let src = try ZipArchive(url: try Fixtures.url("adult_mlp.keras"))
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    func bundle(config: Data, named name: String) throws -> URL {
        var writer = ZipWriter()
        for e in src.entries {
            if e.name == "config.json" {
                try writer.add(name: e.name, data: config, method: 8)
            } else {
                try writer.copy(e, from: src)
            }
        }
        let url = dir.appendingPathComponent(name)
        try writer.write(to: url)
        return url
    }
    let realConfig = try src.data(for: try #require(src.entry(named: "config.json")))
    #expect(try HDF5Format.read(bundle(config: realConfig, named: "ok.keras")).layers != nil)
    let huge = try bundle(config: Data(repeating: 0x20, count: 65 << 20), named: "huge.keras")
    do {
        _ = try HDF5Format.read(huge)
        Issue.record("a 65 MB config.json was read")
    } catch let e as HDF5Error {
        #expect(e.description.contains(huge.path), "\(e)")
        #expect(e.description.contains("config.json declares 68157440 bytes"), "\(e)")
        #expect(!e.description.contains("\n"))
    }
}
