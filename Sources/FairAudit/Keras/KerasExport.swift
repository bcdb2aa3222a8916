import Foundation

/// A model whose architecture is known, described as Keras 3 writes it: a
/// `Sequential` config (for a legacy `.h5` and for a `.keras` bundle's
/// `config.json`) and each layer's weights in Keras' variable order, under
/// the names Keras gives them in a weights file (`layers/<auto name>/vars/<i>`).
///
/// Formats use it to write full models and weights files that
/// `keras.models.load_model` and `model.load_weights` open.
public struct KerasExport: Sendable {
    /// One layer of `model.layers` (the InputLayer is not one).
    public struct LayerEntry: Sendable {
        /// The layer's name in the config.
        public var name: String
        /// Keras' class (`Dense`, `BatchNormalization`, …).
        public var className: String
        /// Keras 3's name for its weights group: the snake_case class name,
        /// `_1`, `_2`, … on repeats (`dense`, `dense_1`, `batch_normalization`).
        public var autoName: String
        /// The weights in Keras' order (kernel, bias; gamma, beta, moving_mean,
        /// moving_variance), in Keras' orientation (dense kernels in × out).
        public var weights: [Tensor]
        /// Each weight's role, parallel to `weights`.
        public var roles: [ParameterRole]
    }

    /// The layers in order.
    public var layers: [LayerEntry]
    /// The model's input shape, batch first (`nil` = any size).
    public var inputShape: [Int?]
    /// The model's name.
    public var name: String
    /// `model_config` of a legacy `.h5` (the form Keras 3's `model.save("m.h5")` writes).
    public var legacyConfig: JSONValue
    /// `config.json` of a `.keras` bundle (with `module`, `registered_name`, `build_config`).
    public var bundleConfig: JSONValue

    /// The Keras version written into `keras_version` and `metadata.json`:
    /// the oldest Keras 3 whose format these files follow.
    public static let kerasVersion = "3.0.0"

    /// The order Keras keeps a layer's weights in.
    static let roleOrder = ParameterRole.convertible

    /// Describes `graph` for Keras. Settings Keras keeps but fairaudit does
    /// not run (a Dropout's rate, a BatchNormalization's momentum, the input
    /// shape and model name) come from the Keras config the graph was read
    /// with (`sourceConfig`), when there is one.
    ///
    /// - Throws: `FairAuditError.unsupportedModel` when the graph has no
    ///   architecture, and the tensor errors of a kernel that cannot be
    ///   transposed to Keras' in × out.
    public static func make(from graph: ModelGraph) throws -> KerasExport {
        guard graph.layers != nil else {
            throw FairAuditError.unsupportedModel(
                reason:
                    "writing a Keras model needs the architecture (pass --config model_config.json, or --activation/--head for a state dict)"
            )
        }
        let needsTranspose = graph.layers?.contains { $0.kind == .dense && $0.kernelLayout != .inOut } ?? false
        let keras = needsTranspose ? try graph.converted(to: .keras) : graph
        let layers = keras.layers ?? []
        let source = try sourceConfig(of: graph).map { try KerasConfig.entries(fromJSON: $0) }
        if let source, let note = KerasConfig.chainNote(source) {
            // The config written is a Sequential: a model that branches cannot be one.
            throw FairAuditError.unsupportedModel(
                reason: "fairaudit writes Keras models that are a chain of layers: \(note)")
        }
        let settings = Dictionary((source ?? []).map { ($0.name, $0.config) }, uniquingKeysWith: { a, _ in a })
        let width =
            keras.inputWidth
            ?? layers.lazy.compactMap { l in
                l.weights[.kernel].flatMap { try? keras.tensor(named: $0).shape.first }
            }.first
        var input = source?.first?.modelInputShape ?? [nil, width]
        if let declared = KerasConfig.width(of: input), let width, declared != width { input = [nil, width] }
        guard input.count >= 2 else {
            throw FairAuditError.unsupportedModel(
                reason: "the model's input width is not known; pass --config with the Keras config")
        }
        let modelName = (source.flatMap { _ in sourceModelName(of: graph) }) ?? "sequential"

        var entries: [LayerEntry] = []
        var specs: [KerasExport.Spec] = []
        var shape = input
        for layer in layers where layer.kind != .input {
            for spec in try Self.specs(for: layer, settings: settings[layer.name] ?? [:], inputShape: shape) {
                var weights: [Tensor] = []
                var roles: [ParameterRole] = []
                for role in roleOrder {
                    guard let name = spec.weights[role] else { continue }
                    weights.append(try keras.tensor(named: name))
                    roles.append(role)
                }
                entries.append(
                    LayerEntry(name: spec.name, className: spec.className, autoName: "", weights: weights, roles: roles)
                )
                specs.append(spec)
                shape = spec.outputShape
            }
        }
        let autoNames = KerasConfig.kerasAutoNames(
            specs.map { KerasConfig.Entry(className: $0.className, name: $0.name, config: [:]) })
        for i in entries.indices { entries[i].autoName = autoNames[i] ?? entries[i].name }
        let inputName = layers.first { $0.kind == .input }?.name ?? "input_layer"
        return KerasExport(
            layers: entries, inputShape: input, name: modelName,
            legacyConfig: modelConfig(specs, input: input, inputName: inputName, name: modelName, bundle: false),
            bundleConfig: modelConfig(specs, input: input, inputName: inputName, name: modelName, bundle: true))
    }

    /// The metadata keys holding a Keras config, in the order they are
    /// preferred; a graph converted to another layout keeps them.
    public static let configKeys = ["architecture@config", "bundle@config.json", "@model_config"]

    /// The Keras config text a graph was read with: one given for it
    /// (metadata `architecture@config`), a `.keras` bundle's `config.json`,
    /// or a legacy `.h5`'s root `model_config`.
    static func sourceConfig(of graph: ModelGraph) -> String? {
        for key in configKeys {
            if let v = graph.metadata.first(where: { $0.key == key })?.value { return v }
        }
        return nil
    }

    private static func sourceModelName(of graph: ModelGraph) -> String? {
        guard let text = sourceConfig(of: graph),
            let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        return (root["config"] as? [String: Any])?["name"] as? String
    }
}
