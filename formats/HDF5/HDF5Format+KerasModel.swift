import FairAudit
import Foundation

/// New Keras files from a graph whose architecture is known: a legacy full
/// model (`model.save("m.h5")`), a Keras 3 weights file (`.weights.h5`) and a
/// `.keras` bundle, laid out as Keras 3 writes them so that
/// `keras.models.load_model` and `model.load_weights` open them.
extension HDF5Format {
    /// The backend named in a legacy `.h5` (Keras reads it only to convert
    /// Theano-era kernels; the weights here are backend-neutral).
    static let writtenBackend = "tensorflow"

    /// A legacy full model: root `model_config`, `keras_version`, `backend`;
    /// `model_weights` with `layer_names`, and per layer a group with
    /// `weight_names` (`<layer>/kernel`, …) and those datasets under it.
    static func legacyPlan(_ export: KerasExport) -> HDF5Plan {
        var plan = HDF5Plan()
        let version: [(String, HDF5Plan.Attribute)] = [
            ("backend", .string(writtenBackend)),
            ("keras_version", .string(KerasExport.kerasVersion)),
        ]
        plan.group("", version + [("model_config", .string(export.legacyConfig.serialized()))])
        plan.group("model_weights", version + [("layer_names", .strings(export.layers.map(\.name)))])
        for layer in export.layers {
            let names = layer.roles.map { layer.name + "/" + $0.rawValue }
            plan.group("model_weights/" + layer.name, [("weight_names", .strings(names))])
            for (name, t) in zip(names, layer.weights) { plan.dataset("model_weights/\(layer.name)/\(name)", t) }
        }
        return plan
    }

    /// A Keras 3 weights file: `layers/<auto name>/vars/<i>` per layer (the
    /// `vars` group naming the layer), and the model's own empty `vars`.
    static func keras3WeightsPlan(_ export: KerasExport) -> HDF5Plan {
        var plan = HDF5Plan()
        plan.group("layers")
        for layer in export.layers {
            let vars = "layers/\(layer.autoName)/vars"
            plan.group(vars, [("name", .string(layer.name))])
            for (i, t) in layer.weights.enumerated() { plan.dataset("\(vars)/\(i)", t) }
        }
        plan.group("vars", [("name", .string(export.name))])
        return plan
    }

    /// Writes `plan` to `url` through a temporary file, read back before the rename.
    static func writeNew(_ plan: HDF5Plan, to url: URL) throws {
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                try create(plan, at: tmp, displayName: url.path)
            },
            verify: { tmp in
                try verify(plan, at: tmp, displayName: url.path)
            })
    }

    /// Writes a new `.keras` bundle: `metadata.json`, `config.json` and
    /// `model.weights.h5`, stored (not deflated) as Keras writes them. The
    /// zip is read back: its weights must equal the graph's and its config
    /// must give the same layers.
    static func writeNewBundle(_ export: KerasExport, to url: URL) throws {
        let plan = keras3WeightsPlan(export)
        let scratch = (scratchDirectory ?? FileManager.default.temporaryDirectory)
            .appendingPathComponent("fairaudit-\(UUID().uuidString).h5")
        defer { unlink(scratch.path) }
        let inner = url.path + "/" + bundleWeights
        try create(plan, at: scratch, displayName: inner)
        let weights: Data
        do { weights = try Data(contentsOf: scratch) } catch {
            throw HDF5Error.writeFailed(file: url.path, object: bundleWeights, reason: error.localizedDescription)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        let metadata = JSONValue.object([
            ("keras_version", .string(KerasExport.kerasVersion)),
            ("date_saved", .string(formatter.string(from: Date()))),
        ])
        var writer = ZipWriter()
        do {
            try writer.add(name: "metadata.json", data: Data(metadata.serialized().utf8), localZip64: false)
            try writer.add(name: "config.json", data: Data(export.bundleConfig.serialized().utf8), localZip64: false)
            try writer.add(name: bundleWeights, data: weights, localZip64: weights.count > Int(Int32.max))
        } catch {
            throw HDF5Error.writeFailed(file: url.path, object: "/", reason: "\(error)")
        }
        let bytes = writer.finish()
        try AtomicFile.write(
            to: url, overwrite: true, produce: { tmp in try bytes.write(to: tmp) },
            verify: { tmp in
                let back = try readBundle(tmp)
                guard let layers = back.layers else {
                    throw HDF5Error.writeFailed(
                        file: url.path, object: "config.json",
                        reason: "does not read back as a model: \(back.architectureNote ?? "no layers")")
                }
                try checkWeights(of: export, against: back, layers: layers, file: url.path)
            })
    }

    /// Checks every weight of `export` is in `back` (read from a written
    /// file) under the layer and role Keras will load it into, byte for byte.
    static func checkWeights(of export: KerasExport, against back: ModelGraph, layers: [Layer], file: String) throws {
        for entry in export.layers {
            let layer = layers.first { $0.name == entry.name }
            for (role, t) in zip(entry.roles, entry.weights) {
                guard let name = layer?.weights[role], let got = try? back.tensor(named: name),
                    got.shape == t.shape, try got.rawBytes() == t.rawBytes()
                else {
                    throw HDF5Error.writeFailed(
                        file: file, object: "\(entry.name)/\(role.rawValue)", reason: "does not read back as written")
                }
            }
        }
    }
}
