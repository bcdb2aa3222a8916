import Foundation

extension Network {
    /// `needsGradient[v]`: value `v` lies downstream of a trainable
    /// parameter, so the backward pass must carry a gradient to it.
    var needsGradient: [Bool] {
        let slots = Set(trainable)
        var need = [Bool](repeating: false, count: valueShapes.count)
        for (i, node) in nodes.enumerated() {
            need[inputCount + i] =
                node.params.values.contains { slots.contains($0) } || node.inputs.contains { need[$0] }
        }
        return need
    }

    /// Slot in `trainable` of each parameter index (nil when frozen).
    var trainableSlots: [Int: Int] {
        Dictionary(uniqueKeysWithValues: trainable.enumerated().map { ($1, $0) })
    }

    /// The trainable roles of a node with their slots, in role order.
    func trainableRoles(_ node: Node, slots: [Int: Int]) -> [(role: ParameterRole, slot: Int)] {
        node.params.keys.sorted().compactMap { role in
            guard let p = node.params[role], let s = slots[p] else { return nil }
            return (role, s)
        }
    }

    /// Walks the nodes in reverse topological order from `∂ℓ/∂logits`,
    /// adding gradients where a value feeds several nodes. For each node
    /// reached, `visit(node, gradOut, inputs, paramGrads)` sees the gradient
    /// of its output (and, with `wantParams`, its parameters' gradients
    /// summed over the batch).
    func walkBackward(
        _ t: Trace, logitGrad: [Float], wantParams: Bool,
        visit: (Int, Batch, [Batch], [ParameterRole: [Float]]) -> Void
    ) {
        let need = needsGradient
        var grads = [Batch?](repeating: nil, count: valueShapes.count)
        grads[outputValue] = Batch(rows: t.rows, shape: valueShapes[outputValue], data: logitGrad)
        for i in nodes.indices.reversed() {
            let v = inputCount + i
            guard need[v], let g = grads[v] else { continue }
            grads[v] = nil
            let node = nodes[i]
            let ins = node.inputs.map { t.values[$0] }
            let needInputs = node.inputs.contains { need[$0] }
            let (dIns, dParams) = node.op.backward(
                g, ins, params(of: node), cache: t.caches[i],
                needInputs: needInputs, wantParams: wantParams)
            visit(i, g, ins, dParams)
            precondition(
                dIns.count == node.inputs.count || !needInputs,
                "\(node.op.className) gave \(dIns.count) input gradients for \(node.inputs.count) inputs")
            for (k, u) in node.inputs.enumerated() where need[u] {
                guard let d = dIns[k] else { continue }
                if var sum = grads[u] {
                    grads[u] = nil  // one owner, so the addition does not copy
                    Buffers.add(d.data, into: &sum.data)
                    grads[u] = sum
                } else {
                    grads[u] = d
                }
            }
        }
    }

    /// Back-propagates `∂objective/∂logits` through the trace and adds each
    /// trainable tensor's gradient into `acc` (indexed like `trainableNames`,
    /// stored orientation).
    func backward(_ t: Trace, logitGrad: [Float], into acc: inout [[Float]]) {
        let slots = trainableSlots
        walkBackward(t, logitGrad: logitGrad, wantParams: true) { i, _, _, dParams in
            for (role, g) in dParams {
                guard let p = nodes[i].params[role], let s = slots[p] else { continue }
                Buffers.add(g, into: &acc[s])
            }
        }
    }

    /// Zeroed accumulators, one per trainable tensor.
    func zeroAccumulators() -> [[Float]] {
        trainable.map { [Float](repeating: 0, count: values[$0].count) }
    }
}
