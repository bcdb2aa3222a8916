import Foundation

/// The architecture a Keras model config describes, with each layer's
/// weights mapped onto tensors of a graph.
public struct KerasArchitecture: Sendable, Equatable {
    /// The layers in execution order, or nil when the config holds a layer
    /// fairaudit does not run (see `note`).
    public var layers: [Layer]?
    /// The width of the model's input, when the config or the first kernel says.
    public var inputWidth: Int?
    /// Why `layers` is nil: the unsupported class or structure, by name.
    public var note: String?

    /// Creates an architecture.
    public init(layers: [Layer]?, inputWidth: Int?, note: String?) {
        self.layers = layers
        self.inputWidth = inputWidth
        self.note = note
    }
}

/// Reads Keras `model_config` / `config.json` documents (Keras 2 and 3,
/// Sequential, and Functional models that are a linear chain) as data: no
/// class is instantiated and no code (Lambda) is ever run.
public enum KerasConfig {
    /// One layer entry of a config: its class, name and settings.
    struct Entry {
        var className: String
        var name: String
        var config: [String: Any]
        /// Names of the layers feeding this one (Functional models only).
        var inbound: [String]?
        /// False for a user's class (a `module` or `registered_name` outside Keras).
        var isKeras = true
        /// The rank of the layer's input, batch included (2 unless the config says).
        var inputRank = 2
        /// The model's input shape, batch first, when the config declares it.
        var modelInputShape: [Int?]?
        /// The keyword arguments of the layer's call (Functional models only).
        var callKeywords: [String: Any] = [:]
    }

    /// The layers of a config, converted and given their weights.
    ///
    /// - Parameters:
    ///   - json: the `model_config` attribute or `config.json` text.
    ///   - weights: layer name → the graph tensor names of its weights, in the
    ///     layer's own order (Keras' `weight_names`, or `vars/0, vars/1…`).
    ///     A name missing here is also looked up under the layer's Keras 3
    ///     automatic name (`dense`, `dense_1`, … by class, in model order).
    ///   - shapes: tensor name → shape, to check the weights against the config.
    /// - Returns: the layers, or a note naming the first unsupported layer.
    /// - Throws: `FairAuditError` when the JSON is not a Keras config, or the
    ///   weights disagree with it (count, shape).
    public static func architecture(
        fromJSON json: String, weights: [String: [String]],
        shapes: [String: [Int]]
    ) throws -> KerasArchitecture {
        let entries = try entries(fromJSON: json)
        let functional = chainNote(entries) != nil
        var layers: [Layer] = []
        var roles: [[ParameterRole]] = []
        for e in entries {
            switch try convert(e) {
            case .layer(var layer, let r):
                if functional { layer.inbound = e.inbound ?? [] }
                layers.append(layer)
                roles.append(r)
            case .unsupported(let note): return KerasArchitecture(layers: nil, inputWidth: nil, note: note)
            }
        }
        let autoNames = kerasAutoNames(entries)
        for i in layers.indices where !roles[i].isEmpty {
            let tensors = weights[layers[i].name] ?? autoNames[i].flatMap { weights[$0] } ?? []
            layers[i].weights = try assign(roles: roles[i], tensors: tensors, layer: layers[i].name)
        }
        if functional { return functionalArchitecture(layers, json: json) }
        if let declared = entries.first.flatMap({ declaredInput($0.config) }),
            !layers.contains(where: { $0.kind == .input }),
            declared.shape.count > 1 || declared.integer
        {
            var input = Layer(name: (entries.first?.name ?? "dense") + "_input", kind: .input, className: "InputLayer")
            input.shape = declared.shape
            input.integerInput = declared.integer
            layers.insert(input, at: 0)
        }
        let plain: Set<Layer.Kind> = [
            .input, .dense, .activation, .dropout, .batchNormalization, .layerNormalization, .flatten,
        ]
        guard layers.allSatisfy({ plain.contains($0.kind) && ($0.axes ?? [-1]) == [-1] && ($0.shape?.count ?? 1) <= 1 })
        else {
            // Reshaping, embeddings or other axes: the executor checks every shape when it builds the network.
            return KerasArchitecture(
                layers: layers, inputWidth: layers.first { $0.kind == .input }?.shape?.reduce(1, *), note: nil)
        }
        let width = try checkShapes(layers, declaredInput: inputWidth(entries), shapes: shapes)
        return KerasArchitecture(layers: layers, inputWidth: width, note: nil)
    }

    /// The layer entries of a Sequential or Functional config, in order,
    /// each with its input's rank and the model's input shape when declared.
    static func entries(fromJSON json: String) throws -> [Entry] {
        let bad = { (r: String) in FairAuditError.invalidInput(path: "model config", reason: r) }
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        let body: Any? = root["class_name"] != nil ? root["config"] : root
        let list: [Any]
        if let arr = body as? [Any] {
            list = arr
        }  // Keras 2.0's Sequential: a bare list
        else if let dict = body as? [String: Any], let arr = dict["layers"] as? [Any] {
            list = arr
        } else {
            throw bad("no 'layers' list (class \(root["class_name"] as? String ?? "unknown"))")
        }
        // Keras 2 and 3 write "Functional" (tf.keras before 2.4: "Model"); anything not Sequential has inbound nodes.
        let functional = (root["class_name"] as? String).map { $0 != "Sequential" } ?? false
        var entries: [Entry] = try list.enumerated().map { i, item in
            guard let d = item as? [String: Any], let cls = d["class_name"] as? String else {
                throw bad("layer \(i) has no class_name")
            }
            let cfg = d["config"] as? [String: Any] ?? [:]
            let name = cfg["name"] as? String ?? d["name"] as? String ?? "layer_\(i)"
            return Entry(
                className: cls, name: name, config: cfg,
                inbound: functional ? inboundNames(d["inbound_nodes"]) : nil,
                isKeras: isKerasClass(d, className: cls),
                callKeywords: functional ? callKeywords(d["inbound_nodes"]) : [:])
        }
        let input = inputShape(entries, root: body as? [String: Any])
        for i in entries.indices { entries[i].modelInputShape = input }
        assignRanks(&entries, inputRank: input?.count)
        return entries
    }

    /// Keras 3's automatic names for the weight groups of `.weights.h5`:
    /// the snake_case class name, suffixed `_1`, `_2`, … on repeats
    /// (InputLayer excluded, as it is not in `model.layers`).
    static func kerasAutoNames(_ entries: [Entry]) -> [String?] {
        var counts: [String: Int] = [:]
        return entries.map { e in
            guard e.className != "InputLayer" else { return nil }
            let base = snakeCase(e.className)
            let n = counts[base, default: 0]
            counts[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
    }

    /// `BatchNormalization` → `batch_normalization` (Keras' `to_snake_case`).
    static func snakeCase(_ s: String) -> String {
        var out = ""
        let chars = Array(s)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0,
                chars[i - 1].isLowercase || chars[i - 1].isNumber
                    || (i + 1 < chars.count && chars[i + 1].isLowercase && chars[i - 1].isUppercase)
            {
                out += "_"
            }
            out += c.lowercased()
        }
        return out
    }
}
