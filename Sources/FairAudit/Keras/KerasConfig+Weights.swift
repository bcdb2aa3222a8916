import Foundation

extension KerasConfig {
    /// Role → tensor for one layer. Names whose last part (without `:0`) is a
    /// role (`dense/kernel:0`, `sequential/dense/bias`) are matched by name;
    /// otherwise (`vars/0`, `vars/1`) by Keras' order of the layer's weights.
    static func assign(roles: [ParameterRole], tensors: [String], layer: String) throws -> [ParameterRole: String] {
        guard tensors.count == roles.count else {
            throw FairAuditError.invalidInput(
                path: "model config",
                reason:
                    "layer '\(layer)' has \(tensors.count) weight tensors, the config expects \(roles.count) (\(roles.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        let depth = roles.contains { $0.rawValue.contains("/") } ? 2 : 1  // attention's `query/kernel`
        let suffixes = tensors.map { t -> String in
            let last = t.split(separator: "/").suffix(depth).joined(separator: "/")
            return last.hasSuffix(":0") ? String(last.dropLast(2)) : last
        }
        if Set(suffixes) == Set(roles.map(\.rawValue)) {
            return Dictionary(uniqueKeysWithValues: zip(suffixes.compactMap(ParameterRole.init(rawValue:)), tensors))
        }
        return Dictionary(uniqueKeysWithValues: zip(roles, tensors))
    }

    /// The input width a config declares (see `width(of:)`).
    static func inputWidth(_ entries: [Entry]) -> Int? { width(of: entries.first?.modelInputShape) }

    /// The input width a declared input shape gives: the product of its
    /// non-batch dimensions; nil when one is unknown or the product overflows.
    static func width(of shape: [Int?]?) -> Int? {
        guard let shape, shape.count >= 2 else { return nil }
        var p = 1
        for d in shape.dropFirst() {
            guard let n = d, n > 0 else { return nil }
            let (q, overflow) = p.multipliedReportingOverflow(by: n)
            guard !overflow else { return nil }  // an absurd declared shape is not a width (fuzz finding)
            p = q
        }
        return p
    }

    /// Checks each weight's shape against the config and the running width:
    /// a kernel is `in × units`, a bias `units`, normalization vectors the
    /// width. Returns the input width (declared, or the first kernel's rows).
    static func checkShapes(_ layers: [Layer], declaredInput: Int?, shapes: [String: [Int]]) throws -> Int? {
        var width = declaredInput
        var input = declaredInput
        func shape(_ layer: Layer, _ role: ParameterRole) throws -> [Int]? {
            guard let t = layer.weights[role] else { return nil }
            guard let s = shapes[t] else { throw FairAuditError.missingTensor(name: t) }
            return s
        }
        for layer in layers {
            switch layer.kind {
            case .dense:
                guard let units = layer.units, let k = try shape(layer, .kernel) else { continue }
                guard k.count == 2, k[1] == units, width.map({ $0 == k[0] }) ?? true else {
                    let expected = [width ?? (k.first ?? 0), units]
                    throw FairAuditError.shapeMismatch(
                        name: layer.weights[.kernel] ?? layer.name, expected: expected, found: k)
                }
                if input == nil { input = k[0] }
                if let b = try shape(layer, .bias), b != [units] {
                    throw FairAuditError.shapeMismatch(
                        name: layer.weights[.bias] ?? layer.name, expected: [units], found: b)
                }
                width = units
            case .batchNormalization, .layerNormalization:
                for role in [ParameterRole.gamma, .beta, .movingMean, .movingVariance] {
                    guard let s = try shape(layer, role) else { continue }
                    guard s.count == 1, width.map({ $0 == s[0] }) ?? true else {
                        throw FairAuditError.shapeMismatch(
                            name: layer.weights[role] ?? layer.name, expected: [width ?? 0], found: s)
                    }
                    if width == nil {
                        width = s[0]
                        input = input ?? s[0]
                    }
                }
            default: continue
            }
        }
        return input
    }

    /// Parses `json` and sets `graph.layers`, `graph.inputWidth` and
    /// `graph.architectureNote` from it (and keeps the text as metadata
    /// `architecture@config`), finding each layer's weights by the
    /// graph's own conventions: Keras' `weight_names` attributes kept in the
    /// metadata (`model_weights/<layer>@weight_names`), Keras 3 weight groups
    /// (`layers/<x>/vars/<i>`, named by `layers/<x>/vars@name`), or tensors
    /// named `<layer>/…` or `<layer>.…` in file order.
    public static func apply(json: String, to graph: inout ModelGraph) throws {
        let shapes = Dictionary(graph.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let arch = try architecture(fromJSON: json, weights: weightMap(of: graph), shapes: shapes)
        graph.layers = arch.layers
        graph.inputWidth = arch.inputWidth ?? graph.inputWidth
        graph.architectureNote = arch.note
        remember(json: json, in: &graph)
    }

    /// Keeps a config given for `graph` as metadata `architecture@config`, so
    /// a Keras model written from the graph keeps the config's settings
    /// fairaudit does not run (``KerasExport``) and a file written from it
    /// can be read back with the same architecture.
    public static func remember(json: String, in graph: inout ModelGraph) {
        graph.metadata.removeAll { $0.key == "architecture@config" }
        graph.metadata.append(("architecture@config", json))
    }

    /// Gives `reread` (a file written from `source`, read back) the
    /// architecture `source` got from a config outside its file (a sidecar
    /// or `--config`), which the written file's new name no longer finds.
    public static func carryArchitecture(from source: ModelGraph, to reread: inout ModelGraph) throws {
        // Only Keras weights files find a config beside them; a state dict's mapping is redone by whoever gave it.
        guard reread.layers == nil, reread.layout.isKerasWeightsFile,
            let json = source.metadata.first(where: { $0.key == "architecture@config" })?.value
        else { return }
        try apply(json: json, to: &reread)
    }

    /// Layer name → weight tensors, found from the graph's names and metadata.
    static func weightMap(of graph: ModelGraph) -> [String: [String]] {
        let names = Set(graph.tensors.map(\.name))
        let meta = Dictionary(graph.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        func list(_ key: String) -> [String]? {
            guard let text = meta[key], let arr = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any]
            else { return nil }
            return arr.compactMap { $0 as? String }
        }
        var map: [String: [String]] = [:]
        for t in graph.tensors {
            let parts = t.name.split(separator: "/").map(String.init)
            if parts.count == 4, parts[0] == "layers", parts[2] == "vars", Int(parts[3]) != nil {
                let group = "layers/\(parts[1])/vars"
                map[meta[group + "@name"] ?? parts[1], default: []].append(t.name)
            } else if parts.count == 5, parts[0] == "layers", parts[3] == "vars", Int(parts[4]) != nil {
                // a sublayer's
                map[meta["layers/\(parts[1])/vars@name"] ?? parts[1], default: []].append(t.name)
            } else if let prefix = t.name.split(whereSeparator: { $0 == "/" || $0 == "." }).first,
                prefix != Substring(t.name)
            {
                map[String(prefix), default: []].append(t.name)
            }
        }
        for key in map.keys where map[key]?.first?.hasPrefix("layers/") == true {
            map[key]?.sort { nestedVarOrder($0, meta: meta) < nestedVarOrder($1, meta: meta) }
        }
        for root in ["model_weights", ""] {
            guard let layersList = list(root + "@layer_names") else { continue }
            for layer in layersList {
                let group = root.isEmpty ? layer : root + "/" + layer
                let paths = (list(group + "@weight_names") ?? []).map { group + "/" + $0 }.filter(names.contains)
                map[layer] = paths
            }
        }
        return map
    }
}
