import Foundation

extension KerasConfig {
    /// Converts the layer classes of functional and preprocessing models
    /// (merges, `Embedding`, `Normalization`, reshaping, the dropout
    /// family); nil for a class this mapping does not know.
    static func graphLayer(_ e: Entry) throws -> Converted? {
        let c = e.config
        func layer(_ kind: Layer.Kind) -> Layer { Layer(name: e.name, kind: kind, className: e.className) }
        func ints(_ key: String) -> [Int]? { (c[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } }
        switch e.className {
        case "AlphaDropout", "GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D",
            "SpatialDropout3D",
            "ActivityRegularization":
            return .layer(layer(.dropout), roles: [])
        case "Add": return .layer(layer(.add), roles: [])
        case "Subtract": return .layer(layer(.subtract), roles: [])
        case "Multiply": return .layer(layer(.multiply), roles: [])
        case "Average": return .layer(layer(.average), roles: [])
        case "Maximum": return .layer(layer(.maximum), roles: [])
        case "Minimum": return .layer(layer(.minimum), roles: [])
        case "Concatenate":
            var l = layer(.concatenate)
            l.axes = [(c["axis"] as? NSNumber)?.intValue ?? -1]
            return .layer(l, roles: [])
        case "Embedding":
            if c["mask_zero"] as? Bool == true {
                return .unsupported("Embedding layer '\(e.name)' uses mask_zero, which fairaudit does not run")
            }
            var l = layer(.embedding)
            l.units = (c["output_dim"] as? NSNumber)?.intValue
            return .layer(l, roles: [.embeddings])
        case "Normalization":
            if c["invert"] as? Bool == true {
                return .unsupported(
                    "Normalization layer '\(e.name)' inverts (invert=True), which fairaudit does not run")
            }
            var l = layer(.normalization)
            l.axes = axes(c["axis"]) ?? [-1]
            func values(_ v: Any?) -> [Double]? {
                if let n = v as? NSNumber { return [n.doubleValue] }
                return (v as? [Any]).map { flatten($0) }
            }
            l.mean = values(c["mean"])
            l.variance = values(c["variance"])
            return .layer(l, roles: l.mean != nil && l.variance != nil ? [] : [.mean, .variance, .count])
        case "Rescaling":
            guard let scale = c["scale"] as? NSNumber else {
                return .unsupported("Rescaling layer '\(e.name)' has a per-channel scale, which fairaudit does not run")
            }
            var l = layer(.rescaling)
            l.scale = scale.doubleValue
            l.offset = (c["offset"] as? NSNumber)?.doubleValue ?? 0
            return .layer(l, roles: [])
        case "Reshape":
            var l = layer(.reshape)
            l.shape = ints("target_shape")
            return .layer(l, roles: [])
        case "Permute":
            var l = layer(.permute)
            l.shape = ints("dims")
            return .layer(l, roles: [])
        case "RepeatVector":
            var l = layer(.repeatVector)
            l.units = (c["n"] as? NSNumber)?.intValue
            return .layer(l, roles: [])
        case "ELU":
            guard ((c["alpha"] as? NSNumber)?.doubleValue ?? 1) == 1 else {
                return .unsupported("ELU layer '\(e.name)' has alpha ≠ 1, which fairaudit does not run")
            }
            var l = layer(.activation)
            l.activation = .elu
            return .layer(l, roles: [])
        default:
            return nil
        }
    }

    /// Every number of a nested list, in order.
    private static func flatten(_ v: Any) -> [Double] {
        if let n = v as? NSNumber { return [n.doubleValue] }
        return (v as? [Any])?.flatMap { flatten($0) } ?? []
    }

    /// Normalization axes: `-1`, `[1, 2]`, or absent (nil).
    static func axes(_ v: Any?) -> [Int]? {
        if let n = v as? NSNumber { return [n.intValue] }
        if let a = v as? [Any] {
            let out = a.compactMap { ($0 as? NSNumber)?.intValue }
            return out.count == a.count ? out : nil
        }
        return nil
    }

    /// The per-sample shape an input layer (or a first layer's
    /// `batch_input_shape`) declares, and whether its dtype is an integer.
    static func declaredInput(_ c: [String: Any]) -> (shape: [Int], integer: Bool)? {
        var dims: [Int?]?
        for key in ["batch_shape", "batch_input_shape"] {
            if let d = shape(c[key]), d.count >= 2 {
                dims = Array(d.dropFirst())
                break
            }
        }
        if dims == nil, let d = shape(c["shape"]), !d.isEmpty { dims = d }
        guard let dims else { return nil }
        let sizes = dims.compactMap { $0 }
        guard sizes.count == dims.count, sizes.allSatisfy({ $0 > 0 && $0 < 1 << 31 }) else { return nil }
        let dtype = dtypePolicy(c["dtype"])
        return (sizes, dtype.map { $0.hasPrefix("int") || $0.hasPrefix("uint") } ?? false)
    }

    /// The model inputs and outputs a functional config lists
    /// (`input_layers`/`output_layers`: `[name, 0, 0]` or a list of them).
    static func functionalEnds(fromJSON json: String) -> (inputs: [String], outputs: [String]) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let cfg = root["config"] as? [String: Any]
        else { return ([], []) }
        func names(_ v: Any?) -> [String] {
            guard let a = v as? [Any] else { return [] }
            if let n = a.first as? String { return [n] }
            return a.flatMap { names($0) }
        }
        return (names(cfg["input_layers"]), names(cfg["output_layers"]))
    }
}

extension KerasConfig {
    /// A functional model's layers for the executor: input layers first, in
    /// the model's input order, the output layer last; a model with several
    /// outputs is reported, not guessed at.
    static func functionalArchitecture(_ layers: [Layer], json: String) -> KerasArchitecture {
        let ends = functionalEnds(fromJSON: json)
        guard ends.outputs.count <= 1 else {
            return KerasArchitecture(
                layers: nil, inputWidth: nil,
                note:
                    "the model has \(ends.outputs.count) outputs (\(ends.outputs.joined(separator: ", "))); fairaudit scores a model with one"
            )
        }
        var inputs = layers.filter { $0.kind == .input }
        if !ends.inputs.isEmpty {
            inputs.sort {
                (ends.inputs.firstIndex(of: $0.name) ?? Int.max) < (ends.inputs.firstIndex(of: $1.name) ?? Int.max)
            }
        }
        var rest = layers.filter { $0.kind != .input }
        if let out = ends.outputs.first, let i = rest.firstIndex(where: { $0.name == out }) {
            rest.append(rest.remove(at: i))
        }
        let widths = inputs.map { $0.shape?.reduce(1, *) }
        let width = widths.contains { $0 == nil } ? nil : widths.reduce(0) { $0 + ($1 ?? 0) }
        return KerasArchitecture(layers: inputs + rest, inputWidth: width, note: nil)
    }
}
