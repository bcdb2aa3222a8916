import FairAudit
import FormatHDF5
import Foundation
import Testing

/// New Keras files written from a graph with a known architecture: the
/// layout Keras' loaders look for (checked by hand in Keras 3: `load_model`
/// and `load_weights` open these and predict what fairaudit predicts).
@Suite struct HDF5KerasWriteTests {
    /// The Keras 3 Functional chain (Dense tanh → BatchNormalization →
    /// LayerNormalization without β → relu → Dense softmax without bias).
    static func source() throws -> ModelGraph { try HDF5Format.read(try Fixtures.url("functional_bn.h5")) }

    static let layerNames = ["d1", "bn", "ln", "act", "out"]

    static func metadata(_ g: ModelGraph, _ key: String) -> String? { g.metadata.first { $0.key == key }?.value }

    static func json(_ text: String?) throws -> [String: Any] {
        let t = try #require(text)
        let object = try JSONSerialization.jsonObject(with: Data(t.utf8))
        return try #require(object as? [String: Any])
    }

    /// Each weight of `a` equals the weight in `b` for the same layer and role, byte for byte.
    static func expectSameWeights(_ a: ModelGraph, _ b: ModelGraph) throws {
        let la = try #require(a.layers)
        let lb = try #require(b.layers, "\(b.architectureNote ?? "")")
        #expect(la.filter { $0.kind != .input }.map(\.name) == lb.filter { $0.kind != .input }.map(\.name))
        #expect(la.filter { $0.kind != .input }.map(\.kind) == lb.filter { $0.kind != .input }.map(\.kind))
        for x in la {
            let y = try #require(lb.first { $0.name == x.name || (x.kind == .input && $0.kind == .input) })
            #expect(Set(x.weights.keys) == Set(y.weights.keys), "\(x.name)")
            #expect(x.activation == y.activation && x.epsilon == y.epsilon && x.units == y.units, "\(x.name)")
            for (role, name) in x.weights {
                let ty = try b.tensor(named: try #require(y.weights[role]))
                #expect(try a.tensor(named: name).rawBytes() == ty.rawBytes(), "\(x.name)/\(role)")
            }
        }
        #expect(a.inputWidth == b.inputWidth)
    }

    /// A legacy full model: root `model_config` (a Sequential naming every
    /// layer), `keras_version`, `backend`; `model_weights@layer_names` and per
    /// layer `weight_names` pointing at `model_weights/<l>/<l>/<role>`.
    @Test func legacyFullModelLayout() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try Self.source()
        let out = dir.appendingPathComponent("m.h5")
        try HDF5Format.write(src, to: out, basedOn: nil)
        let back = try HDF5Format.read(out)
        #expect(back.layout == .kerasLegacy)
        #expect(Self.metadata(back, "@keras_version") == KerasExport.kerasVersion)
        #expect(Self.metadata(back, "@backend") == "tensorflow")
        #expect(Self.metadata(back, "model_weights@keras_version") == KerasExport.kerasVersion)
        let config = try Self.json(Self.metadata(back, "@model_config"))
        #expect(config["class_name"] as? String == "Sequential")
        let layers = try #require((config["config"] as? [String: Any])?["layers"] as? [[String: Any]])
        #expect(
            layers.map { $0["class_name"] as? String } == [
                "InputLayer", "Dense", "BatchNormalization",
                "LayerNormalization", "Activation", "Dense",
            ])
        #expect(layers.allSatisfy { $0["module"] == nil })  // the legacy form Keras' own .h5 has
        #expect(Self.metadata(back, "model_weights@layer_names") == #"["d1","bn","ln","act","out"]"#)
        #expect(
            Self.metadata(back, "model_weights/bn@weight_names")
                == #"["bn/gamma","bn/beta","bn/moving_mean","bn/moving_variance"]"#)
        #expect(Self.metadata(back, "model_weights/ln@weight_names") == #"["ln/gamma"]"#)
        #expect(Self.metadata(back, "model_weights/act@weight_names") == "[]")
        #expect(back.tensors.map(\.name).contains("model_weights/out/out/kernel"))
        try Self.expectSameWeights(src, back)
    }

    /// A Keras 3 weights file: `layers/<snake_case class>[_n]/vars/<i>` in
    /// Keras' weight order, each `vars` naming its layer, and the model's `vars`.
    @Test func keras3WeightsLayout() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try Self.source()
        let out = dir.appendingPathComponent("m.weights.h5")
        try HDF5Format.write(src, to: out, basedOn: nil)
        let back = try HDF5Format.read(out)
        #expect(back.layout == .keras3Weights)
        #expect(
            back.tensors.map(\.name).sorted() == [
                "layers/batch_normalization/vars/0", "layers/batch_normalization/vars/1",
                "layers/batch_normalization/vars/2", "layers/batch_normalization/vars/3",
                "layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0",
                "layers/layer_normalization/vars/0",
            ])
        #expect(Self.metadata(back, "layers/dense_1/vars@name") == "out")
        #expect(Self.metadata(back, "layers/activation/vars@name") == "act")
        #expect(Self.metadata(back, "vars@name") == "fn")
        let bnMean = try src.tensor(named: "model_weights/bn/bn/moving_mean").rawBytes()
        #expect(try back.tensor(named: "layers/batch_normalization/vars/2").rawBytes() == bnMean)
        var withConfig = back
        let config = try #require(Self.metadata(src, "@model_config"))
        try KerasConfig.apply(json: config, to: &withConfig)
        try Self.expectSameWeights(src, withConfig)
    }

    /// A `.keras` bundle: stored members metadata.json, config.json,
    /// model.weights.h5; config.json in Keras 3's serialized form (`module`,
    /// `registered_name`, `build_config`); the Dropout rate and the model
    /// name from the source config.
    @Test func kerasBundleLayout() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try Self.source()
        let out = dir.appendingPathComponent("m.keras")
        try HDF5Format.write(src, to: out, basedOn: nil)
        let zip = try ZipArchive(url: out)
        #expect(zip.entries.map(\.name) == ["metadata.json", "config.json", "model.weights.h5"])
        #expect(zip.entries.allSatisfy { $0.method == 0 })
        let metaEntry = try #require(zip.entry(named: "metadata.json"))
        let configEntry = try #require(zip.entry(named: "config.json"))
        let meta = try Self.json(String(decoding: try zip.data(for: metaEntry), as: UTF8.self))
        #expect(meta["keras_version"] as? String == KerasExport.kerasVersion && meta["date_saved"] is String)
        let config = try Self.json(String(decoding: try zip.data(for: configEntry), as: UTF8.self))
        #expect(config["module"] as? String == "keras" && config["class_name"] as? String == "Sequential")
        let body = try #require(config["config"] as? [String: Any])
        #expect(body["name"] as? String == "fn")
        let layers = try #require(body["layers"] as? [[String: Any]])
        #expect(layers.allSatisfy { $0["module"] as? String == "keras.layers" && $0.keys.contains("registered_name") })
        let input = try #require(layers.first?["config"] as? [String: Any])
        #expect(input["batch_shape"] as? [Any] != nil && (input["batch_shape"] as? [Any])?.last as? Int == 6)
        let dense = try #require(layers[1]["build_config"] as? [String: Any])
        #expect((dense["input_shape"] as? [Any])?.last as? Int == 6)
        let back = try HDF5Format.read(out)
        #expect(back.layout == .kerasBundle)
        try Self.expectSameWeights(src, back)
    }

    /// Without an architecture there is no Keras model to write: one line
    /// naming the output, and nothing left behind.
    @Test func kerasBundleNeedsAnArchitecture() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = Tensor(
            name: "w", dtype: .float32, shape: [2],
            storage: .bytes(Tensor.encode([1, 2], dtype: .float32, byteOrder: .little)))
        let out = dir.appendingPathComponent("m.keras")
        do {
            try HDF5Format.write(ModelGraph(format: "npz", layout: .arrays, tensors: [t]), to: out, basedOn: nil)
            Issue.record("a bundle was written without an architecture")
        } catch {
            #expect(
                "\(error)".contains(out.path) && "\(error)".contains("architecture") && !"\(error)".contains("\n"),
                "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// The written config is a Sequential: a graph read with a branching
    /// config is refused by name instead of being written as a chain.
    @Test func branchingSourceIsNotWrittenAsAChain() throws {
        var graph = try HDF5Format.read(try Fixtures.url("adult_mlp.h5"))
        let branching = try HDF5Format.read(try Fixtures.url("branching.h5"))
        let config = try #require(Self.metadata(branching, "@model_config"))
        graph.metadata = graph.metadata.filter { $0.key != "@model_config" } + [("@model_config", config)]
        #expect(graph.layers != nil)
        do {
            _ = try KerasExport.make(from: graph)
            Issue.record("a branching model was described as a chain")
        } catch let e as FairAuditError {
            #expect(e.description.contains("chain") && e.description.contains("takes inputs from"), "\(e)")
        }
    }

    /// Settings fairaudit does not run come from the source config, also
    /// after a layout conversion: the Dropout rate and the model name; the
    /// torch-layout kernels are written back in Keras' in × out.
    @Test func sourceSettingsSurviveALayoutConversion() throws {
        let src = try HDF5Format.read(try Fixtures.url("adult_mlp.h5"))
        let config = try Self.json(Self.metadata(src, "@model_config"))
        let body = try #require(config["config"] as? [String: Any])
        let dropout = try #require(
            (body["layers"] as? [[String: Any]])?.first { $0["class_name"] as? String == "Dropout" })
        let rate = try #require((dropout["config"] as? [String: Any])?["rate"] as? Double)
        let export = try KerasExport.make(from: try src.converted(to: .torch))
        #expect(export.name == body["name"] as? String)
        #expect(export.inputShape == [nil, 80])
        let written = try #require(export.legacyConfig["config"]?["layers"]?.array)
        let writtenDropout = try #require(written.first { $0["class_name"]?.string == "Dropout" })
        #expect(writtenDropout["config"]?["rate"]?.double == rate)
        let dense = try #require(export.layers.first)
        #expect(dense.roles == [.kernel, .bias] && dense.weights[0].shape == [80, 64])
        #expect(
            try dense.weights[0].rawBytes()
                == src.tensor(named: "model_weights/dense/sequential/dense/kernel").rawBytes())
    }
}
