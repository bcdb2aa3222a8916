import Foundation

extension KerasExport {
    /// One Keras layer to write: its class, config fields and weights.
    struct Spec {
        var name: String
        var className: String
        var fields: [(String, JSONValue)]
        /// Role → tensor name in the graph.
        var weights: [ParameterRole: String]
        var inputShape: [Int?]
        var outputShape: [Int?]
    }

    /// Keras 3's float32 policy record.
    static let float32Policy = JSONValue.object([
        ("module", .string("keras")), ("class_name", .string("DTypePolicy")),
        ("config", .object([("name", .string("float32"))])), ("registered_name", .null),
    ])

    static func initializer(_ cls: String) -> JSONValue {
        .object([
            ("module", .string("keras.initializers")), ("class_name", .string(cls)),
            ("config", .object(cls == "GlorotUniform" ? [("seed", .null)] : [])), ("registered_name", .null),
        ])
    }

    /// A number from the source config's `key`, else `fallback`.
    static func number(_ settings: [String: Any], _ key: String, _ fallback: Double) -> JSONValue {
        .number((settings[key] as? NSNumber)?.doubleValue ?? fallback)
    }

    /// The Keras layers that compute `layer` on an input of `inputShape`:
    /// one, or for a dense layer whose leaky-relu slope Keras' `"leaky_relu"`
    /// string cannot carry, a linear Dense and a LeakyReLU layer.
    static func specs(for layer: Layer, settings: [String: Any], inputShape: [Int?]) throws -> [Spec] {
        let common: [(String, JSONValue)] = [
            ("name", .string(layer.name)),
            ("trainable", .bool(settings["trainable"] as? Bool ?? true)),
            ("dtype", float32Policy),
        ]
        func spec(_ cls: String, _ fields: [(String, JSONValue)], out: [Int?]? = nil) -> Spec {
            Spec(
                name: layer.name, className: cls, fields: common + fields, weights: layer.weights,
                inputShape: inputShape, outputShape: out ?? inputShape)
        }
        switch layer.kind {
        case .input:
            return []
        case .dense:
            guard let units = layer.units else {
                throw FairAuditError.unsupportedModel(reason: "dense layer '\(layer.name)' has no unit count")
            }
            let splitLeaky = layer.activation == .leakyRelu && abs(layer.negativeSlope - 0.2) > 1e-12
            let dense = spec(
                "Dense",
                [
                    ("units", .int(units)), ("activation", .string(splitLeaky ? "linear" : layer.activation.rawValue)),
                    ("use_bias", .bool(layer.weights[.bias] != nil)),
                    ("kernel_initializer", initializer("GlorotUniform")), ("bias_initializer", initializer("Zeros")),
                    ("kernel_regularizer", .null), ("bias_regularizer", .null), ("activity_regularizer", .null),
                    ("kernel_constraint", .null), ("bias_constraint", .null),
                ], out: Array(inputShape.dropLast()) + [units])
            return splitLeaky ? [dense, trailing(layer, after: dense)] : [dense]
        case .activation:
            switch (layer.className, layer.activation) {
            case (_, .leakyRelu):
                return [spec("LeakyReLU", [("negative_slope", .number(layer.negativeSlope))])]
            case ("ReLU", .relu):
                return [
                    spec("ReLU", [("max_value", .null), ("negative_slope", .number(0)), ("threshold", .number(0))])
                ]
            case ("Softmax", .softmax):
                return [spec("Softmax", [("axis", .int(-1))])]
            default:
                return [spec("Activation", [("activation", .string(layer.activation.rawValue))])]
            }
        case .dropout:
            let seed = (settings["seed"] as? NSNumber).map { JSONValue.int($0.intValue) } ?? .null
            return [spec("Dropout", [("rate", number(settings, "rate", 0.5)), ("seed", seed), ("noise_shape", .null)])]
        case .flatten:
            let flat = inputShape.dropFirst().reduce(Int?.some(1)) { acc, d in acc.flatMap { a in d.map { a * $0 } } }
            return [spec("Flatten", [("data_format", .string("channels_last"))], out: [nil, flat])]
        case .batchNormalization:
            let bn = spec(
                "BatchNormalization",
                [
                    ("axis", .int(-1)), ("momentum", number(settings, "momentum", 0.99)),
                    ("epsilon", .number(layer.epsilon)),
                    ("center", .bool(layer.weights[.beta] != nil)), ("scale", .bool(layer.weights[.gamma] != nil)),
                    ("beta_initializer", initializer("Zeros")), ("gamma_initializer", initializer("Ones")),
                    ("moving_mean_initializer", initializer("Zeros")),
                    ("moving_variance_initializer", initializer("Ones")),
                    ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null),
                    ("gamma_constraint", .null),
                ])
            return layer.activation == .linear ? [bn] : [bn, trailing(layer, after: bn)]
        case .layerNormalization:
            let ln = spec(
                "LayerNormalization",
                [
                    ("axis", .int(-1)), ("epsilon", .number(layer.epsilon)),
                    ("center", .bool(layer.weights[.beta] != nil)), ("scale", .bool(layer.weights[.gamma] != nil)),
                    ("rms_scaling", .bool(false)),
                    ("beta_initializer", initializer("Zeros")), ("gamma_initializer", initializer("Ones")),
                    ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null),
                    ("gamma_constraint", .null),
                ])
            return layer.activation == .linear ? [ln] : [ln, trailing(layer, after: ln)]
        default:  // a kind with no Keras record here yet
            throw FairAuditError.unsupportedModel(
                reason: "layer '\(layer.name)' (\(layer.className)) cannot be written to a Keras file yet")
        }
    }

    /// The activation a layer applies after itself, as a layer of its own
    /// named `<layer>_<activation>`: a LeakyReLU with the layer's slope, or an Activation.
    static func trailing(_ layer: Layer, after main: Spec) -> Spec {
        let name = layer.name + "_" + layer.activation.rawValue
        var fields: [(String, JSONValue)] = [
            ("name", .string(name)), ("trainable", .bool(true)), ("dtype", float32Policy),
        ]
        let leaky = layer.activation == .leakyRelu
        fields.append(
            leaky
                ? ("negative_slope", .number(layer.negativeSlope)) : ("activation", .string(layer.activation.rawValue)))
        return Spec(
            name: name, className: leaky ? "LeakyReLU" : "Activation", fields: fields, weights: [:],
            inputShape: main.outputShape, outputShape: main.outputShape)
    }

    /// A shape as JSON: sizes, `null` for unknown.
    static func shapeJSON(_ s: [Int?]) -> JSONValue { .array(s.map { $0.map(JSONValue.int) ?? .null }) }

    /// The `Sequential` config: an InputLayer, then each layer. With
    /// `bundle`, every record carries `module` and `registered_name` and each
    /// layer with weights its `build_config`, as `config.json` has them.
    static func modelConfig(_ specs: [Spec], input: [Int?], inputName: String, name: String, bundle: Bool) -> JSONValue
    {
        func record(_ cls: String, _ config: [(String, JSONValue)], module: String, build: [Int?]?) -> JSONValue {
            var pairs: [(String, JSONValue)] = []
            if bundle { pairs.append(("module", .string(module))) }
            pairs += [("class_name", .string(cls)), ("config", .object(config))]
            if bundle { pairs.append(("registered_name", .null)) }
            if bundle, let build { pairs.append(("build_config", .object([("input_shape", shapeJSON(build))]))) }
            return .object(pairs)
        }
        let inputLayer = record(
            "InputLayer",
            [
                ("batch_shape", shapeJSON(input)), ("dtype", .string("float32")),
                ("sparse", .bool(false)), ("name", .string(inputName)),
            ],
            module: "keras.layers", build: nil)
        let layers =
            [inputLayer]
            + specs.map { s in
                record(s.className, s.fields, module: "keras.layers", build: s.weights.isEmpty ? nil : s.inputShape)
            }
        let config: [(String, JSONValue)] = [
            ("name", .string(name)), ("trainable", .bool(true)), ("dtype", float32Policy),
            ("layers", .array(layers)), ("build_input_shape", shapeJSON(input)),
        ]
        return record("Sequential", config, module: "keras", build: input)
    }
}
