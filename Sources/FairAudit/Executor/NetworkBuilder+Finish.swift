import Foundation

extension NetworkBuilder {
    /// Infers every value's shape (naming the layer that does not fit),
    /// splits the output activation off as the head and checks the output
    /// gives a binary score (or, with `multiclass`, K ≥ 2 class logits).
    mutating func finish(multiclass: Bool) throws -> Network {
        guard !nodes.isEmpty, var output = output ?? nodes.indices.last.map(nodeValue) else {
            throw Self.unsupported("the model has no layers to run")
        }
        var head = HeadKind.linear
        let last = output - inputs.count
        if nodes.indices.contains(last) {
            let consumers = nodes.filter { $0.inputs.contains(output) }.map(\.name)
            if var dense = nodes[last].op as? DenseOp, dense.activation != .linear {
                guard consumers.isEmpty else {
                    throw Self.unsupported(
                        "the output layer '\(nodes[last].name)' also feeds \(consumers), so its activation cannot be read as the head"
                    )
                }
                head = try Self.headKind(dense.activation)
                dense.activation = .linear
                nodes[last].op = dense
            } else if let act = nodes[last].op as? ActivationOp, consumers.isEmpty {
                head = try Self.headKind(act.activation)
                output = nodes[last].inputs[0]
                if last == nodes.count - 1 { nodes.removeLast() }
            }
        }
        var valueShapes: [[Int]] = []
        for (name, shape) in inputs {
            guard let shape else { throw Self.unsupported("the shape of input '\(name)' is unknown") }
            valueShapes.append(shape)
        }
        for node in nodes {
            let inShapes = node.inputs.map { valueShapes[$0] }
            var paramShapes: [ParameterRole: [Int]] = [:]
            for (role, i) in node.params { paramShapes[role] = shapes[i] }
            do {
                valueShapes.append(try node.op.outputShape(inShapes, params: paramShapes))
            } catch let e as ShapeError {
                throw Self.unsupported("layer '\(node.name)' (\(node.op.className)) \(e.reason)")
            }
        }
        let outShape = valueShapes[output]
        let k = outShape.reduce(1, *)
        guard outShape.count == 1 else {
            throw Self.unsupported(
                "the output has shape \(outShape); a score needs one vector of logits or probabilities per row")
        }
        switch (head, k) {
        case (.sigmoid, 1), (.linear, 1), (.softmax, 2), (.linear, 2): break
        case (.softmax, 3...) where multiclass, (.linear, 3...) where multiclass: break
        default:
            throw Self.unsupported(
                "the output has \(k) units with a \(head.rawValue) head; a binary score needs 1 unit (sigmoid or logit) or 2 (softmax or logits)"
            )
        }
        return Network(
            nodes: nodes, valueShapes: valueShapes, inputNames: inputs.map(\.name), outputValue: output,
            parameterNames: names, values: values, parameterShapes: shapes, parameterRoles: roles,
            trainable: trainable, inputWidth: valueShapes.prefix(inputs.count).reduce(0) { $0 + $1.reduce(1, *) },
            outputWidth: k, head: head)
    }

    /// The head an output activation gives.
    static func headKind(_ a: Activation) throws -> HeadKind {
        switch a {
        case .sigmoid: return .sigmoid
        case .softmax: return .softmax
        case .linear: return .linear
        default:
            throw FairAuditError.unsupportedModel(
                reason:
                    "the output activation '\(a.rawValue)' does not give probabilities (use sigmoid, softmax or linear)"
            )
        }
    }
}
