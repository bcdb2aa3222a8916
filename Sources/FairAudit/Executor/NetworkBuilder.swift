import Foundation

/// Assembles a ``Network``: loads each tensor once, makes one node per
/// layer, infers every value's shape and splits off the head.
struct NetworkBuilder {
    let graph: ModelGraph
    var names: [String] = []
    var values: [[Float]] = []
    var shapes: [[Int]] = []
    var roles: [ParameterRole] = []
    var trainable: [Int] = []
    var nodes: [Network.Node] = []
    /// Model inputs: name and per-sample shape (nil until known).
    var inputs: [(name: String, shape: [Int]?)] = []
    /// The value each layer name produced.
    var produced: [String: Int] = [:]
    /// The value a chain's next layer reads.
    var current = 0

    init(graph: ModelGraph) { self.graph = graph }

    static func unsupported(_ reason: String) -> FairAuditError { .unsupportedModel(reason: reason) }

    /// Loads tensor `name` for `role` (once) and returns its index.
    mutating func tensor(_ name: String, role: ParameterRole) throws -> Int {
        if let i = names.firstIndex(of: name) { return i }
        let t = try graph.tensor(named: name)
        names.append(name)
        values.append(try t.floatValues())
        shapes.append(t.shape)
        roles.append(role)
        if role.isTrainable { trainable.append(names.count - 1) }
        return names.count - 1
    }

    /// Adds a node reading `inputs` (value ids) and returns the value it produces.
    @discardableResult
    mutating func addNode(_ layer: Layer, op: any LayerOp, inputs: [Int]) throws -> Int {
        var params: [ParameterRole: Int] = [:]
        let known = Set(op.roles)
        for key in layer.weights.keys.sorted() {
            guard let role = ParameterRole(rawValue: key), known.contains(role) else {
                throw Self.unsupported("layer '\(layer.name)' (\(layer.className)) names a '\(key)' weight, which a \(op.className) layer does not have")
            }
        }
        for role in op.roles { if let name = layer.weights[role.rawValue] { params[role] = try tensor(name, role: role) } }
        nodes.append(Network.Node(name: layer.name, op: op, inputs: inputs, params: params))
        let value = nodeValue(nodes.count - 1)
        produced[layer.name] = value
        return value
    }

    /// The value id of node `i` (after the model inputs).
    func nodeValue(_ i: Int) -> Int { inputs.count + i }

    /// Adds a chain of layers (Sequential, or a state dict's inferred list): one model input.
    mutating func add(_ layers: [Layer]) throws {
        inputs = [(layers.first { $0.kind == .input }?.name ?? "input", graph.inputWidth.map { [$0] })]
        current = 0
        for layer in layers {
            guard let op = try Self.op(for: layer) else { continue }
            current = try addNode(layer, op: op, inputs: [current])
            if layer.activation != .linear, layer.kind == .batchNormalization || layer.kind == .layerNormalization {
                let act = Layer(name: layer.name + ".activation", kind: .activation, activation: layer.activation,
                                negativeSlope: layer.negativeSlope, className: "Activation")
                current = try addNode(act, op: ActivationOp(activation: layer.activation, slope: Float(layer.negativeSlope)),
                                      inputs: [current])
            }
        }
        if inputs[0].shape == nil { inputs[0].shape = try chainInputShape() }
    }

    /// The op of a chain layer; nil for layers a chain drops (input, dropout).
    static func op(for layer: Layer) throws -> (any LayerOp)? {
        let slope = Float(layer.negativeSlope)
        switch layer.kind {
        case .input, .dropout: return nil
        case .flatten: return ReshapeOp(target: nil)
        case .activation: return ActivationOp(activation: layer.activation, slope: slope)
        case .dense:
            guard layer.weights["kernel"] != nil else {
                throw unsupported("dense layer '\(layer.name)' names no kernel tensor")
            }
            return DenseOp(units: layer.units, layout: layer.kernelLayout, activation: layer.activation, slope: slope,
                           useBias: layer.weights["bias"] != nil)
        case .batchNormalization:
            return BatchNormalizationOp(epsilon: Float(layer.epsilon))
        case .layerNormalization:
            return LayerNormalizationOp(epsilon: Float(layer.epsilon))
        }
    }

    /// A chain's input shape when the model does not declare it: the first
    /// layer with a parameter tells (a kernel's input size, a normalization's width).
    func chainInputShape() throws -> [Int] {
        for node in nodes {
            if node.op is DenseOp, let k = node.params[.kernel], let dense = node.op as? DenseOp, shapes[k].count == 2 {
                return [dense.dims(shapes[k]).nIn]
            }
            if let p = node.params[.movingMean] ?? node.params[.gamma] ?? node.params[.beta] { return [values[p].count] }
        }
        throw Self.unsupported("the model has no layers to run")
    }
}
