import FairAudit
import Foundation

/// The dense chain of an ONNX graph: the nodes on the path from the graph
/// input to the chosen output, mapped onto fairaudit's layer list.
///
/// Only the nodes the output depends on are looked at, so a classifier's
/// label branch does not stand in the way. Runs (default domain, opset ≥ 13):
/// `Gemm` (`transA = 0`, `alpha = beta = 1`; `transB = 1` is PyTorch's
/// `out × in` kernel), `MatMul` followed by an `Add` of a bias, `Relu`,
/// `Sigmoid`, `Tanh`, `Softmax` (last axis), `Flatten` (axis 1), `Identity`
/// and `Dropout` (inference: the identity). Anything else on the path is
/// refused naming the op, the node and the opset.
struct ONNXChain {
    /// The layers in execution order.
    var layers: [Layer] = []
    /// The input width the graph input declares, when static.
    var inputWidth: Int?

    /// Follows `output` (default: the graph's first output) back to the graph input.
    init(model: Onnx_ModelProto, file: String, initializers: [Tensor], output: String?) throws {
        let g = model.graph
        let opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
        let constants = Dictionary(initializers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let inputs = Set(g.input.map(\.name)).subtracting(constants.keys)
        guard let out = output ?? g.output.first?.name else { throw ONNXError.badGraph(file: file, reason: "it has no output") }
        guard g.output.contains(where: { $0.name == out }) else {
            throw ONNXError.badGraph(file: file, reason: "it has no output '\(out)' (outputs: \(g.output.map(\.name).joined(separator: ", ")))")
        }
        var producer: [String: Int] = [:]
        for (i, n) in g.node.enumerated() {
            for o in n.output where !o.isEmpty {
                guard producer.updateValue(i, forKey: o) == nil else {
                    throw ONNXError.badGraph(file: file, reason: "value '\(o)' is produced by two nodes")
                }
            }
        }
        // Walk back from the output; each node on a dense chain has one non-constant input.
        var path: [Onnx_NodeProto] = []
        var visited = Set<Int>()
        var current = out
        while !inputs.contains(current) {
            guard let i = producer[current] else {
                throw ONNXError.badGraph(file: file, reason: "value '\(current)' is neither produced by a node nor a graph input")
            }
            let node = g.node[i]
            guard visited.insert(i).inserted else {
                throw ONNXError.badGraph(file: file, reason: "node '\(Self.name(node, i))' is on a cycle")
            }
            if let p = try Self.complementPair(node, producer: producer, graph: g, constants: constants) {
                // [1 − p, p]: two-class probabilities from a sigmoid; the score is p.
                current = p
                continue
            }
            let data = node.input.filter { !$0.isEmpty && constants[$0] == nil }
            guard data.count == 1, let next = data.first else {
                throw ONNXError.unsupportedNode(file: file, node: Self.name(node, i), op: node.opType, opset: opset, reason:
                    data.isEmpty ? "it has no input that depends on the graph input"
                                 : "it combines \(data.count) computed inputs, which a dense chain does not")
            }
            path.append(node)
            current = next
        }
        if let v = g.input.first(where: { $0.name == current }), case .tensorType(let type)? = v.type.value {
            let dims = type.shape.dim
            if dims.count == 2, dims[1].dimValue > 0 { inputWidth = Int(dims[1].dimValue) }
        }
        for (k, node) in path.reversed().enumerated() {
            var step = ONNXNodeStep(node: node, index: k, file: file, opset: opset, constants: constants)
            try step.apply(to: &layers)
        }
        if layers.isEmpty {
            throw ONNXError.badGraph(file: file, reason: "no layer lies between the input '\(current)' and the output '\(out)'")
        }
    }

    /// The `p` of `Concat(Sub(1, p), p)` along axis 1 (how skl2onnx turns a
    /// binary classifier's sigmoid into two-class probabilities), or nil.
    static func complementPair(_ node: Onnx_NodeProto, producer: [String: Int], graph g: Onnx_GraphProto,
                               constants: [String: Tensor]) throws -> String? {
        guard node.opType == "Concat", node.domain.isEmpty, node.input.count == 2,
              (node.attribute.first { $0.name == "axis" }?.i ?? 0) == 1 || (node.attribute.first { $0.name == "axis" }?.i ?? 0) == -1,
              let s = producer[node.input[0]], g.node[s].opType == "Sub", g.node[s].input.count == 2,
              g.node[s].input[1] == node.input[1],
              let one = constants[g.node[s].input[0]], one.elementCount == 1,
              try one.floatValues() == [1] else { return nil }
        return node.input[1]
    }

    /// A node's name, or `op_index` when it has none.
    static func name(_ node: Onnx_NodeProto, _ i: Int) -> String {
        node.name.isEmpty ? "\(node.opType)_\(i)" : node.name
    }
}
