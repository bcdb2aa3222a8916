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
    /// The value holding the model's output (the last layer's).
    var output: Int?

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
        var op = op
        var params: [ParameterRole: Int] = [:]
        let known = Set(op.roles)
        for role in layer.weights.keys.sorted() where !known.contains(role) {
            throw Self.unsupported(
                "layer '\(layer.name)' (\(layer.className)) names a '\(role.rawValue)' weight, which a \(op.className) layer does not have"
            )
        }
        for role in op.roles { if let name = layer.weights[role] { params[role] = try tensor(name, role: role) } }
        if var e = op as? EmbeddingOp, let k = params[.embeddings], shapes[k].count == 2 {
            e.inputDim = shapes[k][0]
            e.outputDim = e.outputDim ?? shapes[k][1]
            op = e
        }
        nodes.append(Network.Node(name: layer.name, op: op, inputs: inputs, params: params))
        let value = nodeValue(nodes.count - 1)
        produced[layer.name] = value
        return value
    }

    /// The value id of node `i` (after the model inputs).
    func nodeValue(_ i: Int) -> Int { inputs.count + i }

    /// Adds the layers: a chain (Sequential, or a state dict's inferred
    /// list; one model input) unless some layer names its inbound layers.
    mutating func add(_ layers: [Layer]) throws {
        if layers.contains(where: { $0.inbound != nil }) { return try addGraph(layers) }
        let input = layers.first { $0.kind == .input }
        inputs = [(input?.name ?? "input", input?.shape ?? graph.inputWidth.map { [$0] })]
        current = 0
        for layer in layers {
            guard let op = try Self.op(for: layer) else { continue }
            current = try addWithActivation(layer, op: op, inputs: [current])
        }
        output = current
        if inputs[0].shape == nil { inputs[0].shape = try chainInputShape() }
    }

    /// Adds a functional model: input layers (in model-input order) first,
    /// then every layer once its inbound layers are in, so any listing
    /// order works; the last layer listed is the output.
    mutating func addGraph(_ layers: [Layer]) throws {
        let inputLayers = layers.filter { $0.kind == .input }
        guard !inputLayers.isEmpty else { throw Self.unsupported("the functional model has no input layer") }
        inputs = inputLayers.map { ($0.name, $0.shape) }
        for (i, l) in inputLayers.enumerated() { produced[l.name] = i }
        var pending = layers.filter { $0.kind != .input }
        while !pending.isEmpty {
            guard let next = pending.firstIndex(where: { ($0.inbound ?? []).allSatisfy { produced[$0] != nil } }) else {
                let l = pending[0]
                let missing = (l.inbound ?? []).filter { produced[$0] == nil }
                throw Self.unsupported(
                    "layer '\(l.name)' takes inputs from \(missing), which no layer of the model produces (or they form a cycle)"
                )
            }
            let layer = pending.remove(at: next)
            let ins = (layer.inbound ?? []).compactMap { produced[$0] }
            guard !ins.isEmpty else {
                throw Self.unsupported("layer '\(layer.name)' (\(layer.className)) has no inbound layer")
            }
            if let op = try Self.op(for: layer) {
                try addWithActivation(layer, op: op, inputs: ins)
            } else {
                produced[layer.name] = ins[0]  // identity at inference
            }
        }
        guard let last = layers.last, let out = produced[last.name] else {
            throw Self.unsupported("the model has no output layer")
        }
        output = out
    }

    /// Adds a layer's node and, for a normalization layer with an
    /// activation, the activation after it; returns the value produced.
    @discardableResult
    mutating func addWithActivation(_ layer: Layer, op: any LayerOp, inputs ins: [Int]) throws -> Int {
        var v = try addNode(layer, op: op, inputs: ins)
        if layer.activation != .linear, !(op is DenseOp), !(op is ActivationOp) {
            let act = Layer(
                name: layer.name + ".activation", kind: .activation, activation: layer.activation,
                negativeSlope: layer.negativeSlope, className: "Activation")
            v = try addNode(
                act, op: ActivationOp(activation: layer.activation, slope: Float(layer.negativeSlope)), inputs: [v])
            produced[layer.name] = v
        }
        return v
    }

    /// The op of a layer; nil for layers that are the identity at inference (input, dropout family).
    static func op(for layer: Layer) throws -> (any LayerOp)? {
        let slope = Float(layer.negativeSlope)
        switch layer.kind {
        case .input, .dropout: return nil
        case .flatten: return ReshapeOp(target: nil)
        case .reshape:
            guard let target = layer.shape else {
                throw unsupported("Reshape layer '\(layer.name)' has no target_shape")
            }
            return ReshapeOp(target: target)
        case .permute:
            guard let dims = layer.shape else { throw unsupported("Permute layer '\(layer.name)' has no dims") }
            return PermuteOp(dims: dims)
        case .repeatVector:
            guard let n = layer.units else { throw unsupported("RepeatVector layer '\(layer.name)' has no n") }
            return RepeatVectorOp(count: n)
        case .activation: return ActivationOp(activation: layer.activation, slope: slope)
        case .dense:
            guard layer.weights[.kernel] != nil else {
                throw unsupported("dense layer '\(layer.name)' names no kernel tensor")
            }
            return DenseOp(
                units: layer.units, layout: layer.kernelLayout, activation: layer.activation, slope: slope,
                useBias: layer.weights[.bias] != nil)
        case .batchNormalization:
            return BatchNormalizationOp(axes: layer.axes ?? [-1], epsilon: Float(layer.epsilon))
        case .layerNormalization:
            return LayerNormalizationOp(axes: layer.axes ?? [-1], epsilon: Float(layer.epsilon))
        case .embedding: return EmbeddingOp(inputDim: nil, outputDim: layer.units)
        case .normalization:
            return NormalizationOp(
                axes: layer.axes ?? [-1], mean: layer.mean?.map(Float.init), variance: layer.variance?.map(Float.init))
        case .rescaling: return RescalingOp(scale: Float(layer.scale), offset: Float(layer.offset))
        case .add: return MergeOp(kind: .add)
        case .subtract: return MergeOp(kind: .subtract)
        case .multiply: return MergeOp(kind: .multiply)
        case .average: return MergeOp(kind: .average)
        case .maximum: return MergeOp(kind: .maximum)
        case .minimum: return MergeOp(kind: .minimum)
        case .concatenate: return ConcatenateOp(axis: layer.axes?.first ?? -1)
        case .arithmetic:
            guard let operation = layer.arithmetic else {
                throw unsupported("arithmetic layer '\(layer.name)' names no operation")
            }
            return ArithmeticOp(operation: operation, constant: layer.constant)
        case .squeeze, .unsqueeze: return SqueezeOp(inserts: layer.kind == .unsqueeze, axes: layer.axes)
        case .gather:
            guard let indices = layer.constant, let axis = layer.axes?.first else {
                throw unsupported("gather layer '\(layer.name)' names no indices or axis")
            }
            return GatherOp(axis: axis, indices: indices)
        case .matMul: return MatMulOp()
        case .convolution, .depthwiseConvolution, .separableConvolution, .maxPooling, .averagePooling,
            .globalAveragePooling, .globalMaxPooling, .zeroPadding, .cropping, .upSampling:
            return try spatialOp(for: layer)
        case .multiHeadAttention: return try attentionOp(for: layer)
        case .einsumDense: return try einsumOp(for: layer)
        }
    }

    /// A chain's input shape when the model does not declare it: the first
    /// layer with a parameter tells (a kernel's input size, a normalization's width).
    func chainInputShape() throws -> [Int] {
        for node in nodes {
            if node.op is DenseOp, let k = node.params[.kernel], let dense = node.op as? DenseOp, shapes[k].count == 2 {
                return [dense.dims(shapes[k]).nIn]
            }
            if let p = node.params[.movingMean] ?? node.params[.gamma] ?? node.params[.beta] {
                return [values[p].count]
            }
        }
        throw Self.unsupported("the model has no layers to run")
    }
}
