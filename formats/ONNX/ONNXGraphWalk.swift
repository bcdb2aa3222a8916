import FairAudit
import Foundation

/// The nodes an output depends on, in topological order, found by a
/// depth-first walk back from the output that stops at graph inputs and
/// constants; a cycle, a value nobody produces and a value produced twice
/// are refused.
struct ONNXGraphWalk {
    /// The value the model's score is read from: the output, or the `p` of
    /// skl2onnx's `[1 − p, p]` probabilities.
    var target: String
    /// Indices into `graph.node`, each after the nodes it reads.
    var order: [Int] = []
    /// Indices into `graph.input` of the inputs the path reads, in graph order.
    var inputs: [Int] = []
    /// Consumers on the path of each value (the target counts one).
    var uses: [String: Int] = [:]

    init(graph g: Onnx_GraphProto, target output: String, constants: [String: Tensor], file: String) throws {
        var producer: [String: Int] = [:]
        for (i, n) in g.node.enumerated() {
            for o in n.output where !o.isEmpty {
                guard producer.updateValue(i, forKey: o) == nil else {
                    throw ONNXError.badGraph(file: file, reason: "value '\(o)' is produced by two nodes")
                }
            }
        }
        let graphInputs = Dictionary(
            g.input.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        target = output
        if let p = producer[output],
            let q = try Self.complementPair(g.node[p], producer: producer, graph: g, constants: constants)
        {
            target = q
        }
        uses[target] = 1
        var state = [UInt8](repeating: 0, count: g.node.count)  // 0 new, 1 on the stack, 2 done
        var usedInputs = Set<Int>()
        // Iterative post-order: a hostile graph as deep as the file is long does not overflow the stack.
        var stack: [(node: Int, next: Int)] = []
        func visit(_ value: String) throws {
            if value.isEmpty || constants[value] != nil { return }
            if let i = graphInputs[value] {
                usedInputs.insert(i)
                return
            }
            guard let p = producer[value] else {
                throw ONNXError.badGraph(
                    file: file, reason: "value '\(value)' is neither produced by a node nor a graph input")
            }
            switch state[p] {
            case 1:
                throw ONNXError.badGraph(file: file, reason: "node '\(ONNXMapper.name(g.node[p], p))' is on a cycle")
            case 0:
                state[p] = 1
                stack.append((p, 0))
            default: break
            }
        }
        try visit(target)
        while let top = stack.last {
            let node = g.node[top.node]
            if top.next < node.input.count {
                stack[stack.count - 1].next += 1
                let value = node.input[top.next]
                if !value.isEmpty { uses[value, default: 0] += 1 }
                try visit(value)
            } else {
                stack.removeLast()
                state[top.node] = 2
                order.append(top.node)
            }
        }
        inputs = usedInputs.sorted()
    }

    /// The `p` of `Concat(Sub(1, p), p)` along axis 1 (how skl2onnx turns a
    /// binary classifier's sigmoid into two-class probabilities), or nil.
    static func complementPair(
        _ node: Onnx_NodeProto, producer: [String: Int], graph g: Onnx_GraphProto,
        constants: [String: Tensor]
    ) throws -> String? {
        let axis = node.attribute.first { $0.name == "axis" }?.i ?? 0
        guard node.opType == "Concat", node.domain.isEmpty, node.input.count == 2, axis == 1 || axis == -1,
            let s = producer[node.input[0]], g.node[s].opType == "Sub", g.node[s].input.count == 2,
            g.node[s].input[1] == node.input[1],
            let one = constants[g.node[s].input[0]], one.elementCount == 1,
            try one.floatValues() == [1]
        else { return nil }
        return node.input[1]
    }
}
