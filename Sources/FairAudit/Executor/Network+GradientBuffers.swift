import Foundation

/// What a backward pass over the graph needs to know once per run, not per batch.
struct BackwardPlan: Sendable {
    /// `need[v]`: value `v` lies downstream of a trainable parameter.
    var need: [Bool]
    /// Per node: the trainable roles it holds, in role order, and each one's slot in `trainable`.
    var roles: [[ParameterRole]]
    var slots: [[Int]]
}

/// A thread's gradient buffers, reused batch after batch: the gradient of
/// every value, and the gradients of one node's inputs before they are
/// added to their values'.
struct GradientBuffers {
    var grads: [Batch]
    var has: [Bool]
    var nodeInputs: [Batch] = []
    var inputGrads: [Batch] = []
    var inputHas: [Bool] = []

    /// No buffers (a placeholder while the real ones are moved out).
    init() {
        grads = []
        has = []
    }

    init(network: Network) {
        grads = Array(repeating: Batch(), count: network.valueShapes.count)
        has = Array(repeating: false, count: network.valueShapes.count)
        let most = network.nodes.map(\.inputs.count).max() ?? 1
        inputGrads = Array(repeating: Batch(), count: most)
        inputHas = Array(repeating: false, count: most)
        nodeInputs.reserveCapacity(most)
    }
}

extension Network {
    /// The plan of a backward pass for the trainable tensors.
    var backwardPlan: BackwardPlan {
        let slots = trainableSlots
        let nodeRoles = nodes.map { trainableRoles($0, slots: slots) }
        return BackwardPlan(
            need: needsGradient, roles: nodeRoles.map { $0.map(\.role) }, slots: nodeRoles.map { $0.map(\.slot) })
    }

    /// ``walkBackward(_:logitGrad:wantParams:visit:)`` without parameter
    /// gradients and without allocating once the buffers have their sizes:
    /// each node writes its inputs' gradients into reused batches
    /// (``LayerOp/backwardInputs``); the first gradient reaching a value is
    /// swapped into place, later ones added. `visit(node, gradOut, inputs)`
    /// sees each node reached.
    func walkBackward(
        _ t: Trace, logitGrad: [Float], plan: BackwardPlan, buffers b: inout GradientBuffers,
        visit: (Int, Batch, [Batch]) -> Void
    ) {
        for v in b.has.indices { b.has[v] = false }
        b.grads[outputValue].resize(rows: t.rows, shape: valueShapes[outputValue])
        Buffers.copy(logitGrad, into: &b.grads[outputValue].data)
        b.has[outputValue] = true
        var ins = b.nodeInputs
        b.nodeInputs = []
        for i in nodes.indices.reversed() {
            let v = inputCount + i
            guard plan.need[v], b.has[v] else { continue }
            b.has[v] = false
            let node = nodes[i]
            for u in node.inputs { ins.append(t.values[u]) }
            let g = b.grads[v]
            let needInputs = node.inputs.contains { plan.need[$0] }
            if needInputs {
                node.op.backwardInputs(
                    g, ins, params(of: node), cache: t.caches[i], into: &b.inputGrads, hasGradient: &b.inputHas)
            }
            visit(i, g, ins)
            ins.removeAll(keepingCapacity: true)
            guard needInputs else { continue }
            for (k, u) in node.inputs.enumerated() where plan.need[u] && b.inputHas[k] {
                if b.has[u] {
                    Buffers.add(b.inputGrads[k].data, into: &b.grads[u].data)
                } else {
                    swap(&b.inputGrads[k], &b.grads[u])
                    b.has[u] = true
                }
            }
        }
        b.nodeInputs = ins
    }
}
