import FairAudit
import Foundation

/// One node of a dense chain, turned into (or folded into) a layer.
struct ONNXNodeStep {
    let node: Onnx_NodeProto
    let index: Int
    let file: String
    let opset: Int
    let constants: [String: Tensor]

    init(node: Onnx_NodeProto, index: Int, file: String, opset: Int, constants: [String: Tensor]) {
        self.node = node
        self.index = index
        self.file = file
        self.opset = opset
        self.constants = constants
    }

    var nodeName: String { ONNXChain.name(node, index) }

    func refuse(_ reason: String) -> ONNXError {
        .unsupportedNode(file: file, node: nodeName, op: node.opType, opset: opset, reason: reason)
    }

    /// The integer attribute `name`, or `fallback`.
    func int(_ name: String, _ fallback: Int) -> Int {
        node.attribute.first { $0.name == name }.map { Int($0.i) } ?? fallback
    }

    /// The float attribute `name`, or `fallback`.
    func float(_ name: String, _ fallback: Float) -> Float {
        node.attribute.first { $0.name == name }.map(\.f) ?? fallback
    }

    /// The constant (initializer) among the node's inputs at `position`.
    func constant(at position: Int) -> Tensor? {
        position < node.input.count ? constants[node.input[position]] : nil
    }

    /// Appends the node's layer to `layers`, or folds it into the last one.
    mutating func apply(to layers: inout [Layer]) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw refuse("the domain '\(node.domain)' is not the default ONNX domain")
        }
        guard opset >= 13 else { throw refuse("opsets before 13 are not read (re-export with opset 13 or later)") }
        switch node.opType {
        case "Gemm":
            guard int("transA", 0) == 0 else { throw refuse("transA = 1 is not run") }
            guard float("alpha", 1) == 1, float("beta", 1) == 1 else { throw refuse("alpha and beta other than 1 are not run") }
            try dense(kernelAt: 1, bias: constant(at: 2), layout: int("transB", 0) == 1 ? .outIn : .inOut, into: &layers)
        case "MatMul":
            try dense(kernelAt: 1, bias: nil, layout: .inOut, into: &layers)
        case "Add":
            guard let last = layers.last, last.kind == .dense, last.weights[.bias] == nil, last.activation == .linear,
                  let b = constant(at: 1) ?? constant(at: 0), b.elementCount == (last.units ?? -1) else {
                throw refuse("Add is run only as the bias of the MatMul before it")
            }
            layers[layers.count - 1].weights[.bias] = b.name
        case "Relu": activation(.relu, into: &layers)
        case "Sigmoid": activation(.sigmoid, into: &layers)
        case "Tanh": activation(.tanh, into: &layers)
        case "Softmax":
            guard [-1, 1].contains(int("axis", -1)) else { throw refuse("softmax over an axis other than the last is not run") }
            activation(.softmax, into: &layers)
        case "Identity", "Dropout":
            return
        case "Cast":
            // skl2onnx casts the float input to float; any other cast changes values.
            guard int("to", 0) == 1 else { throw refuse("only a Cast to float32 is run") }
        case "Flatten":
            guard int("axis", 1) == 1 else { throw refuse("Flatten with axis other than 1 is not run") }
            layers.append(Layer(name: nodeName, kind: .flatten, className: "Flatten"))
        default:
            throw refuse("the op is not one fairaudit runs on a dense chain (Gemm, MatMul, Add, Relu, Sigmoid, Tanh, Softmax, Flatten, Identity, Dropout, Cast to float)")
        }
    }

    /// A dense layer whose kernel is the initializer at input `position`.
    func dense(kernelAt position: Int, bias: Tensor?, layout: KernelLayout, into layers: inout [Layer]) throws {
        guard let k = constant(at: position) else { throw refuse("its weight is not an initializer") }
        guard k.shape.count == 2 else { throw refuse("its weight '\(k.name)' has shape \(k.shape), not 2-D") }
        let units = layout == .outIn ? k.shape[0] : k.shape[1]
        var weights: [ParameterRole: String] = [.kernel: k.name]
        if let bias {
            guard bias.elementCount == units else {
                throw refuse("its bias '\(bias.name)' has \(bias.elementCount) values, the kernel gives \(units) outputs")
            }
            weights[.bias] = bias.name
        }
        layers.append(Layer(name: nodeName, kind: .dense, units: units, weights: weights, kernelLayout: layout,
                            className: node.opType))
    }

    /// `a` folded into the dense layer before it, or a layer of its own.
    func activation(_ a: Activation, into layers: inout [Layer]) {
        if let last = layers.last, last.kind == .dense, last.activation == .linear {
            layers[layers.count - 1].activation = a
        } else {
            layers.append(Layer(name: nodeName, kind: .activation, activation: a, className: node.opType))
        }
    }
}
