import Foundation

extension ModelGraph {
    /// Sets the layers from a Keras model config JSON (`model.to_json()`,
    /// a `.keras` bundle's `config.json`).
    ///
    /// A Keras file's weights are found by Keras' own names (see
    /// ``KerasConfig/apply(json:to:)``). A state dict or a plain collection
    /// of arrays names its tensors its own way (`layers.0.weight`), so its
    /// weight groups — the tensors sharing a prefix before the last `.` or
    /// `/`, metadata and `excluded` names left out — are matched to the
    /// config's layers that hold weights: by name when every such layer's
    /// name is a group's prefix, otherwise in file order. Within a group,
    /// PyTorch roles map to Keras ones (`weight` → `kernel` or `gamma`,
    /// `running_var` → `moving_variance`, …) and a PyTorch kernel is read
    /// `out × in`.
    ///
    /// - Returns: the `(config layer, tensor prefix)` pairs matched in file
    ///   order, empty when matched by name.
    @discardableResult
    public mutating func applyArchitecture(
        json: String, excluding excluded: Set<String> = []
    ) throws -> [(layer: String, prefix: String)] {
        guard layout.needsArchitecture else {
            try KerasConfig.apply(json: json, to: &self)
            return []
        }
        var weighted: [(name: String, roles: [ParameterRole])] = []
        for entry in try KerasConfig.entries(fromJSON: json) {
            guard case .layer(let layer, let roles) = try KerasConfig.convert(entry) else {
                try KerasConfig.apply(json: json, to: &self)  // sets the note naming the unsupported layer
                return []
            }
            if !roles.isEmpty { weighted.append((layer.name, roles)) }
        }
        var prefixes: [String] = []
        var groups: [String: [Tensor]] = [:]
        for t in weightTensors(excluding: excluded) {
            let (prefix, role) = ModelGraph.splitName(t.name)
            if role == "num_batches_tracked" { continue }
            if groups[prefix] == nil { prefixes.append(prefix) }
            groups[prefix, default: []].append(t)
        }
        let byName = weighted.allSatisfy { groups[$0.name] != nil }
        guard byName || weighted.count == prefixes.count else {
            throw FairAuditError.invalidInput(
                path: "model config",
                reason:
                    "the config has \(weighted.count) layers with weights (\(weighted.map(\.name).joined(separator: ", "))) but the file has \(prefixes.count) groups of weight tensors (\(prefixes.joined(separator: ", ")))"
            )
        }
        var map: [String: [String]] = [:]
        var shapes = Dictionary(tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        var outIn: Set<String> = []
        var pairs: [(layer: String, prefix: String)] = []
        for (i, layer) in weighted.enumerated() {
            let prefix = byName ? layer.name : prefixes[i]
            if !byName { pairs.append((layer.name, prefix)) }
            var ordered: [String] = []
            for t in groups[prefix] ?? [] {
                if ModelGraph.splitName(t.name).1 == "weight", t.shape.count == 2 {
                    outIn.insert(t.name)
                    shapes[t.name] = [t.shape[1], t.shape[0]]  // checked as Keras' in × out
                }
                ordered.append(t.name)
            }
            ordered.sort { a, b in
                let ra = ParameterRole(
                    stateDictLeaf: ModelGraph.splitName(a).1, rank: shapes[a]?.count ?? 0, roles: layer.roles)
                let rb = ParameterRole(
                    stateDictLeaf: ModelGraph.splitName(b).1, rank: shapes[b]?.count ?? 0, roles: layer.roles)
                return (ra.flatMap { layer.roles.firstIndex(of: $0) } ?? Int.max)
                    < (rb.flatMap { layer.roles.firstIndex(of: $0) } ?? Int.max)
            }
            map[layer.name] = ordered
        }
        let arch = try KerasConfig.architecture(fromJSON: json, weights: map, shapes: shapes)
        if var layers = arch.layers {
            for i in layers.indices where layers[i].kind == .dense {
                if let k = layers[i].weights[.kernel], outIn.contains(k) { layers[i].kernelLayout = .outIn }
            }
            self.layers = layers
        } else {
            self.layers = nil
        }
        inputWidth = arch.inputWidth ?? inputWidth
        architectureNote = arch.note
        KerasConfig.remember(json: json, in: &self)
        return pairs
    }

}
