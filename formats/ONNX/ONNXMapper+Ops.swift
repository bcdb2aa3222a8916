import FairAudit
import Foundation

extension ONNXMapper {
    /// The ops the mapper runs (default domain, opset ≥ 13).
    static let supportedOps = [
        "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "Elu", "Selu",
        "Gelu", "Erf", "Softplus", "BatchNormalization", "LayerNormalization", "Flatten", "Reshape", "Transpose",
        "Concat",
        "Gather", "Identity", "Dropout", "Cast", "Unsqueeze", "Squeeze", "Constant", "Conv", "MaxPool", "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool",
    ]

    /// Maps one node onto a layer (or folds it into the layer before it).
    mutating func map(_ node: ONNXNode) throws {
        switch node.op {
        case "Gemm": try gemm(node)
        case "MatMul": try matMul(node)
        case "Add": try arithmetic(node, .add)
        case "Sub": try arithmetic(node, .subtract)
        case "Mul": try arithmetic(node, .multiply)
        case "Div": try arithmetic(node, .divide)
        case "Relu": try activation(node, .relu)
        case "Sigmoid": try activation(node, .sigmoid)
        case "Tanh": try activation(node, .tanh)
        case "Erf": try activation(node, .erf)
        case "Softplus": try activation(node, .softplus)
        case "LeakyRelu": try activation(node, .leakyRelu, slope: Double(node.float("alpha", 0.01)))
        case "Elu":
            guard node.float("alpha", 1) == 1 else { throw node.refuse("alpha other than 1 is not run") }
            try activation(node, .elu)
        case "Selu":
            guard abs(node.float("alpha", 1.67326319) - 1.67326319) < 1e-6,
                abs(node.float("gamma", 1.05070102) - 1.05070102) < 1e-6
            else {
                throw node.refuse("alpha and gamma other than SELU's constants are not run")
            }
            try activation(node, .selu)
        case "Gelu":
            switch node.string("approximate", "none") {
            case "none": try activation(node, .gelu)
            case "tanh": try activation(node, .geluTanh)
            case let other: throw node.refuse("approximate='\(other)' is not a GELU form (none, tanh)")
            }
        case "Softmax":
            let x = try data(node, 0)
            guard try node.axis(node.int("axis", -1), rank: x.rank) == x.rank - 1, x.rank >= 2 else {
                throw node.refuse("softmax over an axis other than the last is not run")
            }
            try activation(node, .softmax)
        case "BatchNormalization": try batchNormalization(node)
        case "LayerNormalization": try layerNormalization(node)
        case "Identity": alias(try output(node), to: try data(node, 0))
        case "Dropout":
            if node.proto.input.count > 2, let mode = constants[node.proto.input[2]], try mode.floatValues() != [0] {
                throw node.refuse("training_mode is set, so it would drop values at random")
            }
            alias(try output(node), to: try data(node, 0))
        case "Cast": try cast(node)
        case "Flatten": try flatten(node)
        case "Reshape": try reshape(node)
        case "Transpose": try transpose(node)
        case "Concat": try concat(node)
        case "Squeeze", "Unsqueeze": try squeeze(node)
        case "Gather": try gather(node)
        case "Conv": try conv(node)
        case "MaxPool": try pool(node, max: true)
        case "AveragePool": try pool(node, max: false)
        case "GlobalAveragePool": try globalPool(node, max: false)
        case "GlobalMaxPool": try globalPool(node, max: true)
        default:
            throw node.refuse("the op is not one fairaudit runs (\(Self.supportedOps.joined(separator: ", ")))")
        }
    }

    /// The node's first output name.
    func output(_ node: ONNXNode) throws -> String {
        guard let o = node.proto.output.first, !o.isEmpty else { throw node.refuse("it has no output") }
        return o
    }

    /// The computed value at input `k` (refused when it is a constant or missing).
    func data(_ node: ONNXNode, _ k: Int) throws -> Value {
        guard k < node.proto.input.count, !node.proto.input[k].isEmpty else {
            throw node.refuse("input \(k) is missing")
        }
        let name = node.proto.input[k]
        guard let v = values[name] else {
            throw node.refuse(
                constants[name] != nil
                    ? "input \(k) '\(name)' is a constant where a computed value is expected"
                    : "input \(k) '\(name)' is not computed before it")
        }
        return v
    }

    /// The constant at input `k`, nil when absent.
    func constant(_ node: ONNXNode, _ k: Int) -> Tensor? {
        k < node.proto.input.count ? constants[node.proto.input[k]] : nil
    }

    /// The constant at input `k` as an initializer a layer may hold as its parameter.
    func parameter(_ node: ONNXNode, _ k: Int, _ what: String) throws -> Tensor {
        guard let t = constant(node, k) else { throw node.refuse("its \(what) (input \(k)) is not a constant") }
        guard initializers.contains(t.name) else {
            throw node.refuse("its \(what) '\(t.name)' is a Constant node, not an initializer")
        }
        guard t.dtype.isFloatingPoint else {
            throw node.refuse("its \(what) '\(t.name)' is \(t.dtype.rawValue), not floating point")
        }
        return t
    }

    /// A one-input layer of `kind` reading input 0.
    mutating func unary(_ node: ONNXNode, _ layer: Layer, rank: Int? = nil) throws {
        let x = try data(node, 0)
        var layer = layer
        layer.inbound = [x.layer]
        append(layer, output: try output(node), rank: rank ?? x.rank)
    }

    /// An activation, folded into the dense layer before it when that layer
    /// has none and feeds nothing else.
    mutating func activation(_ node: ONNXNode, _ a: Activation, slope: Double = 0.2) throws {
        let x = try data(node, 0)
        guard !x.integer else { throw node.refuse("its input '\(node.proto.input[0])' holds integers") }
        if let i = layerIndex[x.layer], layers[i].kind == .dense, layers[i].activation == .linear,
            layerUses[x.layer] == 1
        {
            layers[i].activation = a
            layers[i].negativeSlope = slope
            alias(try output(node), to: x)
            return
        }
        try unary(
            node, Layer(name: node.name, kind: .activation, activation: a, negativeSlope: slope, className: node.op))
    }

    /// `BatchNormalization` at inference over axis 1 (the channels): scale,
    /// B, mean and var become γ, β, μ, σ².
    mutating func batchNormalization(_ node: ONNXNode) throws {
        guard node.int("training_mode", 0) == 0 else { throw node.refuse("training_mode = 1 is not run") }
        let x = try data(node, 0)
        guard x.rank >= 2 else { throw node.refuse("its input has no channel axis") }
        let roles: [ParameterRole] = [.gamma, .beta, .movingMean, .movingVariance]
        let what = ["scale", "B", "mean", "var"]
        var weights: [ParameterRole: String] = [:]
        for k in 0..<4 { weights[roles[k]] = try parameter(node, k + 1, what[k]).name }
        var layer = Layer(
            name: node.name, kind: .batchNormalization, weights: weights,
            epsilon: Double(node.float("epsilon", 1e-5)), className: node.op)
        layer.axes = [1]
        try unary(node, layer)
    }

    /// `LayerNormalization` over the axes from `axis` to the last: Scale and B become γ and β.
    mutating func layerNormalization(_ node: ONNXNode) throws {
        let x = try data(node, 0)
        let axis = try node.axis(node.int("axis", -1), rank: x.rank)
        guard axis >= 1 else { throw node.refuse("normalizing over the batch axis is not run") }
        var weights: [ParameterRole: String] = [.gamma: try parameter(node, 1, "scale").name]
        if node.proto.input.count > 2, !node.proto.input[2].isEmpty {
            weights[.beta] = try parameter(node, 2, "bias").name
        }
        var layer = Layer(
            name: node.name, kind: .layerNormalization, weights: weights,
            epsilon: Double(node.float("epsilon", 1e-5)), className: node.op)
        layer.axes = Array(axis..<x.rank)
        try unary(node, layer)
    }
}
