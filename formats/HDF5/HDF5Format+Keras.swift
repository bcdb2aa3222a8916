import FairAudit
import Foundation

extension HDF5Format {
    /// The layout of a file, and for Keras files the weights of each layer
    /// (tensor names in Keras' order) and the config stored inside.
    struct KerasWeights {
        var layout: ModelLayout
        var weights: [String: [String]]?
        var config: String?
    }

    /// Detects the layout:
    /// - `keras-legacy`: a root `model_config` and a `model_weights` group;
    /// - `keras2-weights`: `layer_names` on the root;
    /// - `keras3-weights`: `layers/<x>/vars/<i>` datasets;
    /// - `torch-state-dict`: top-level datasets named like `fc1.weight`;
    /// - `arrays`: anything else.
    /// Keras weights are matched to layers by the `layer_names` and
    /// `weight_names` attributes, in their order, as Keras' loader does.
    static func kerasWeights(_ c: HDF5Contents) throws -> KerasWeights {
        if case .string(let config)? = c.attribute("model_config", of: ""), c.groups.contains("model_weights") {
            return KerasWeights(
                layout: .kerasLegacy, weights: try namedWeights(c, root: "model_weights"), config: config)
        }
        if c.attribute("layer_names", of: "") != nil {
            return KerasWeights(layout: .keras2Weights, weights: try namedWeights(c, root: ""), config: nil)
        }
        if let map = keras3Weights(c) { return KerasWeights(layout: .keras3Weights, weights: map, config: nil) }
        return KerasWeights(layout: StateDictLayout.detect(c.tensors), weights: nil, config: nil)
    }

    /// Layer → weight tensors from `layer_names` on `root` and each layer
    /// group's `weight_names`; a name that is missing or not numeric is an error.
    private static func namedWeights(_ c: HDF5Contents, root: String) throws -> [String: [String]] {
        let file = c.file.displayName
        let holder = root.isEmpty ? "/" : root
        guard let layers = c.attribute("layer_names", of: root)?.stringList else {
            throw HDF5Error.readFailed(file: file, object: holder + "@layer_names", reason: "not a list of strings")
        }
        var map: [String: [String]] = [:]
        for layer in layers {
            let group = root.isEmpty ? layer : root + "/" + layer
            guard c.groups.contains(group) else {
                throw HDF5Error.missingWeight(file: file, layer: layer, dataset: group)
            }
            let names = c.attribute("weight_names", of: group)?.stringList ?? []
            map[layer] = try names.map { wn in
                let path = group + "/" + wn
                guard let info = c.datasets[path] else {
                    throw HDF5Error.missingWeight(file: file, layer: layer, dataset: path)
                }
                guard info.dtype != nil else {
                    throw HDF5Error.notAWeight(file: file, dataset: path, type: info.typeDescription)
                }
                return path
            }
        }
        return map
    }

    /// Layer → weights for Keras 3's `layers/<x>/vars/<i>`, keyed by the
    /// group's `name` attribute when present (else `<x>`), vars in numeric order.
    private static func keras3Weights(_ c: HDF5Contents) -> [String: [String]]? {
        guard c.groups.contains("layers") else { return nil }
        var map: [String: [(Int, String)]] = [:]
        var any = false
        for group in c.groups {
            let parts = group.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "layers", parts[2] == "vars" else { continue }
            any = true
            var key = String(parts[1])
            if case .string(let n)? = c.attribute("name", of: group) { key = n }
            var vars: [(Int, String)] = []
            for (path, info) in c.datasets where info.dtype != nil && path.hasPrefix(group + "/") {
                if let i = Int(path.dropFirst(group.count + 1)) { vars.append((i, path)) }
            }
            if vars.isEmpty { vars = sublayerWeights(c, layer: String(parts[1])) }
            map[key, default: []] += vars
        }
        guard any else { return nil }
        return map.mapValues { $0.sorted { $0.0 < $1.0 }.map(\.1) }
    }

    /// The weights of a layer made of sublayers (`layers/<x>/<sub>/vars/<i>`,
    /// attention's query, key, value and output projections) in the layer's
    /// own order (``KerasConfig/sublayerRank(_:)`` of each sublayer's `name`).
    private static func sublayerWeights(_ c: HDF5Contents, layer: String) -> [(Int, String)] {
        var nested: [(key: (Int, String, Int), path: String)] = []
        for (path, info) in c.datasets where info.dtype != nil && path.hasPrefix("layers/\(layer)/") {
            let p = path.split(separator: "/", omittingEmptySubsequences: false)
            guard p.count == 5, p[3] == "vars", let i = Int(p[4]) else { continue }
            var sub = String(p[2])
            if case .string(let n)? = c.attribute("name", of: "layers/\(layer)/\(sub)/vars") { sub = n }
            nested.append(((KerasConfig.sublayerRank(sub), sub, i), path))
        }
        return nested.sorted { $0.key < $1.key }.enumerated().map { ($0.offset, $0.element.path) }
    }
}
