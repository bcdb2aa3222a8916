import Foundation

extension KerasConfig {
    /// A config entry converted: a layer with the weight roles it expects in
    /// Keras' own order, or why it cannot be run.
    enum Converted {
        case layer(Layer, roles: [ParameterRole])
        case unsupported(String)
    }

    /// Converts one entry. Known classes: InputLayer, Dense, Dropout,
    /// Activation, ReLU, LeakyReLU, Softmax, BatchNormalization,
    /// LayerNormalization, Flatten. Anything else (Lambda included) is
    /// reported by class, never guessed or run.
    static func convert(_ e: Entry) throws -> Converted {
        let c = e.config
        func flag(_ key: String, _ dflt: Bool) -> Bool { c[key] as? Bool ?? dflt }
        func number(_ key: String, _ dflt: Double) -> Double { (c[key] as? NSNumber)?.doubleValue ?? dflt }
        guard e.isKeras else {
            return .unsupported(
                "layer '\(e.name)' has class '\(e.className)' from outside Keras, which fairaudit does not run")
        }
        // integer ids may feed an Embedding
        if e.className != "InputLayer", let note = dtypeNote(e) { return .unsupported(note) }
        switch e.className {
        case "InputLayer":
            var input = Layer(name: e.name, kind: .input, className: e.className)
            if let declared = declaredInput(c) {
                input.shape = declared.shape
                input.integerInput = declared.integer
            }
            return .layer(input, roles: [])
        case "Dense":
            guard let units = (c["units"] as? NSNumber)?.intValue, units > 0 else {
                throw FairAuditError.invalidInput(
                    path: "model config", reason: "Dense layer '\(e.name)' has no positive 'units'")
            }
            guard let act = activation(c["activation"]) else { return unsupportedActivation(e) }
            let layer = Layer(
                name: e.name, kind: .dense, activation: act.0, negativeSlope: act.1, units: units,
                className: e.className)
            return .layer(layer, roles: flag("use_bias", true) ? [.kernel, .bias] : [.kernel])
        case "Dropout":
            return .layer(Layer(name: e.name, kind: .dropout, className: e.className), roles: [])
        case "Flatten":
            return .layer(Layer(name: e.name, kind: .flatten, className: e.className), roles: [])
        case "Activation":
            guard let act = activation(c["activation"]) else { return unsupportedActivation(e) }
            return .layer(
                Layer(
                    name: e.name, kind: .activation, activation: act.0, negativeSlope: act.1,
                    className: e.className), roles: [])
        case "ReLU":
            guard number("negative_slope", 0) == 0, c["max_value"] == nil || c["max_value"] is NSNull,
                number("threshold", 0) == 0
            else { return .unsupported("ReLU layer '\(e.name)' has a slope, cap or threshold fairaudit does not run") }
            return .layer(Layer(name: e.name, kind: .activation, activation: .relu, className: e.className), roles: [])
        case "LeakyReLU":
            let slope = (c["negative_slope"] as? NSNumber ?? c["alpha"] as? NSNumber)?.doubleValue ?? 0.3
            return .layer(
                Layer(
                    name: e.name, kind: .activation, activation: .leakyRelu, negativeSlope: slope,
                    className: e.className), roles: [])
        case "Softmax":
            return .layer(
                Layer(name: e.name, kind: .activation, activation: .softmax, className: e.className), roles: [])
        case "BatchNormalization", "LayerNormalization":
            let bn = e.className == "BatchNormalization"
            // Resolved against the input's rank; any valid axes run (the executor normalizes along them).
            if let note = axisNote(e) { return .unsupported(note) }
            guard let resolved = axes(c["axis"], rank: e.inputRank) else {
                return .unsupported("\(e.className) layer '\(e.name)' has an axis of an unknown form")
            }
            let axes = resolved == [e.inputRank - 1] ? [-1] : resolved
            if !bn && flag("rms_scaling", false) {
                return .unsupported("LayerNormalization layer '\(e.name)' uses rms_scaling")
            }
            var roles: [ParameterRole] = []
            if flag("scale", true) { roles.append(.gamma) }
            if flag("center", true) { roles.append(.beta) }
            if bn { roles += [.movingMean, .movingVariance] }
            var layer = Layer(
                name: e.name, kind: bn ? .batchNormalization : .layerNormalization,
                epsilon: number("epsilon", 1e-3), className: e.className)
            layer.axes = axes
            return .layer(layer, roles: roles)
        case "Lambda":
            return .unsupported("layer '\(e.name)' is a Lambda layer, which holds code; fairaudit never runs it")
        default:
            if let converted = try graphLayer(e) ?? spatialLayer(e) { return converted }
            if let converted = try attentionLayer(e) { return converted }
            return .unsupported("layer '\(e.name)' has class '\(e.className)', which fairaudit does not run")
        }
    }

    private static func unsupportedActivation(_ e: Entry) -> Converted {
        .unsupported(
            "layer '\(e.name)' uses activation \(describe(e.config["activation"])), which fairaudit does not run")
    }

    private static func describe(_ v: Any?) -> String {
        if let s = v as? String { return "'\(s)'" }
        if let d = v as? [String: Any] { return "'\(d["config"] as? String ?? d["class_name"] as? String ?? "?")'" }
        return "of an unknown form"
    }

    /// An activation given as a name (`"relu"`) or a Keras 3 serialized
    /// function (`{"class_name": "function", "config": "relu"}`); nil when unknown.
    static func activation(_ v: Any?) -> (Activation, Double)? {
        if v == nil || v is NSNull { return (.linear, 0.2) }
        var name: String?
        var slope = 0.2
        if let s = v as? String {
            name = s
        } else if let d = v as? [String: Any] {
            if let s = d["config"] as? String {
                name = s
            } else if let cls = d["class_name"] as? String {
                name = cls == "LeakyReLU" ? "leaky_relu" : cls.lowercased()
                if let cfg = d["config"] as? [String: Any],
                    let n = (cfg["negative_slope"] as? NSNumber ?? cfg["alpha"] as? NSNumber)
                {
                    slope = n.doubleValue
                }
            }
            // GELU's tanh approximation where the record says so (`{"approximate": true}`).
            if name == "gelu", let cfg = d["config"] as? [String: Any], cfg["approximate"] as? Bool == true {
                name = "gelu_approximate"
            }
        }
        guard let name, let act = Activation(rawValue: name) else { return nil }
        return (act, slope)
    }

    /// Names of the layers feeding a Functional layer, from Keras 2's nested
    /// lists (`[[["dense", 0, 0, {}]]]`) or Keras 3's `keras_history` records.
    static func inboundNames(_ nodes: Any?) -> [String] {
        var names: [String] = []
        func walk(_ v: Any, depth: Int) {
            guard depth < 16 else { return }
            if let d = v as? [String: Any] {
                if let cfg = d["config"] as? [String: Any], let h = cfg["keras_history"] as? [Any],
                    let n = h.first as? String
                {
                    names.append(n)
                } else {
                    // Positional arguments, then keyword ones (attention's query, value, key first); masks are not inputs.
                    let first = ["args", "kwargs", "query", "value", "key"]
                    for k in first + d.keys.sorted().filter({ !first.contains($0) && !$0.hasSuffix("mask") }) {
                        if let x = d[k] { walk(x, depth: depth + 1) }
                    }
                }
            } else if let a = v as? [Any] {
                if a.count >= 3, let n = a[0] as? String, a[1] is NSNumber {
                    names.append(n)
                    // tf.keras 2: [query, 0, 0, {"value": …, "key": …}]
                    if a.count >= 4, let kw = a[3] as? [String: Any] {
                        for k in ["value", "key"] { if let x = kw[k] { walk(x, depth: depth + 1) } }
                    }
                } else {
                    for x in a { walk(x, depth: depth + 1) }
                }
            }
        }
        if let nodes { walk(nodes, depth: 0) }
        return names
    }

    /// Why a Functional config is not a linear chain (each layer fed by the
    /// one before it, once), or nil when it is.
    static func chainNote(_ entries: [Entry]) -> String? {
        for (i, e) in entries.enumerated() {
            guard let inbound = e.inbound else { continue }
            let expected = i == 0 ? [] : [entries[i - 1].name]
            if inbound != expected {
                return "layer '\(e.name)' takes inputs from \(inbound); fairaudit runs only a linear chain of layers"
            }
        }
        return nil
    }
}
