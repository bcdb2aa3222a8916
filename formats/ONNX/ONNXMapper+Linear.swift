import FairAudit
import Foundation

extension ONNXMapper {
    /// `Gemm`: `Y = α · A op(B) + β · C` with `A` the computed rows
    /// (`transA = 0`), `B` a constant kernel (`transB = 1` is PyTorch's
    /// out × in layout) and `C` a constant. With `α = β = 1` and `C` one bias
    /// per output, one dense layer; otherwise the dense layer, then `× α`,
    /// then `+ β C` as constant element-wise layers.
    mutating func gemm(_ node: ONNXNode) throws {
        guard node.int("transA", 0) == 0 else {
            throw node.refuse("transA = 1 would transpose the batch axis into the features")
        }
        let x = try data(node, 0)
        guard x.rank == 2 else { throw node.refuse("its input has rank \(x.rank), Gemm takes rank 2") }
        let layout: KernelLayout = node.int("transB", 0) == 1 ? .outIn : .inOut
        let alpha = node.float("alpha", 1)
        let beta = node.float("beta", 1)
        let c: Tensor? = node.proto.input.count > 2 && !node.proto.input[2].isEmpty ? constant(node, 2) : nil
        if node.proto.input.count > 2, !node.proto.input[2].isEmpty, c == nil {
            throw node.refuse("its C (input 2) is computed, not a constant")
        }
        let kernel = try parameter(node, 1, "B")
        guard kernel.shape.count == 2 else {
            throw node.refuse("its B '\(kernel.name)' has shape \(kernel.shape), not 2-D")
        }
        let units = layout == .outIn ? kernel.shape[0] : kernel.shape[1]
        let folds = alpha == 1 && beta == 1 && c.map { isBias($0, units: units) } != false
        var layer = Layer(
            name: node.name, kind: .dense, units: units, weights: [.kernel: kernel.name], kernelLayout: layout,
            className: node.op)
        layer.inbound = [x.layer]
        if folds, let c { layer.weights[.bias] = c.name }
        let out = try output(node)
        if folds { return append(layer, output: out, rank: 2) }
        append(layer, output: node.name + "#product", rank: 2)
        var last = values[node.name + "#product"] ?? x
        layerUses[layer.name] = 1
        func step(_ suffix: String, _ op: Arithmetic, _ operand: ConstantOperand) {
            var l = Layer(name: unique(node.name + suffix), kind: .arithmetic, className: node.op)
            l.arithmetic = op
            l.constant = operand
            l.inbound = [last.layer]
            append(l, output: node.name + suffix, rank: 2)
            layerUses[l.name] = 1
            last = values[node.name + suffix] ?? last
        }
        if alpha != 1 { step("/alpha", .multiply, ConstantOperand(values: [alpha], shape: [], isFirst: false)) }
        if let c, beta != 0 {
            guard c.shape.count <= 2, c.shape.count < 2 || c.shape[0] == 1 else {
                throw node.refuse("its C '\(c.name)' of shape \(c.shape) would differ from row to row")
            }
            step(
                "/beta", .add,
                ConstantOperand(values: try c.floatValues().map { $0 * beta }, shape: c.shape, isFirst: false))
        }
        alias(out, to: last)
    }

    /// `MatMul` of the computed rows by a constant 2-D kernel (in × out): a
    /// dense layer without bias, on the last axis of any rank. Of two
    /// computed values (attention's `Q Kᵀ`): a `matMul` layer over their
    /// last two axes, the leading ones broadcast.
    mutating func matMul(_ node: ONNXNode) throws {
        if let b = values[node.proto.input.count > 1 ? node.proto.input[1] : ""] {
            let a = try data(node, 0)
            guard a.rank == b.rank else {
                throw node.refuse(
                    "it multiplies values of ranks \(a.rank) and \(b.rank), which would broadcast along the batch axis")
            }
            guard a.rank >= 3 else {
                throw node.refuse("it multiplies two values of rank \(a.rank), which would mix the rows of a batch")
            }
            guard !a.integer, !b.integer else { throw node.refuse("it computes on integer ids") }
            var layer = Layer(name: node.name, kind: .matMul, className: node.op)
            layer.inbound = [a.layer, b.layer]
            return append(layer, output: try output(node), rank: a.rank)
        }
        let x = try data(node, 0)
        guard x.rank >= 2 else { throw node.refuse("its input has no feature axis beside the batch axis") }
        let kernel = try parameter(node, 1, "weight")
        guard kernel.shape.count == 2 else {
            throw node.refuse("its weight '\(kernel.name)' has shape \(kernel.shape), not 2-D")
        }
        var layer = Layer(
            name: node.name, kind: .dense, units: kernel.shape[1], weights: [.kernel: kernel.name],
            kernelLayout: .inOut, className: node.op)
        layer.inbound = [x.layer]
        append(layer, output: try output(node), rank: x.rank)
    }

    /// True when `t` is one value per output unit (shape `[units]` or `[1, units]`).
    func isBias(_ t: Tensor, units: Int) -> Bool {
        initializers.contains(t.name) && t.dtype.isFloatingPoint && t.shape.last == units
            && t.shape.dropLast().allSatisfy { $0 == 1 } && t.shape.count <= 2
    }

    /// `Add`, `Sub`, `Mul`, `Div` with numpy broadcasting: of two computed
    /// values of one rank, or of a computed value and a constant. An `Add`
    /// of one bias per unit to a dense layer without one becomes its bias.
    mutating func arithmetic(_ node: ONNXNode, _ op: Arithmetic) throws {
        guard node.proto.input.count == 2 else { throw node.refuse("it takes 2 inputs, got \(node.proto.input.count)") }
        let a = values[node.proto.input[0]]
        let b = values[node.proto.input[1]]
        let out = try output(node)
        var layer = Layer(name: node.name, kind: .arithmetic, className: node.op)
        layer.arithmetic = op
        switch (a, b) {
        case (let a?, let b?):
            guard a.rank == b.rank else {
                throw node.refuse(
                    "it combines values of ranks \(a.rank) and \(b.rank), which would broadcast along the batch axis")
            }
            guard !a.integer, !b.integer else { throw node.refuse("it computes on integer ids") }
            layer.inbound = [a.layer, b.layer]
            append(layer, output: out, rank: a.rank)
        case (let v?, nil), (nil, let v?):
            let first = a == nil
            guard let c = constant(node, first ? 0 : 1) else {
                throw node.refuse("an input is neither computed nor a constant")
            }
            guard !v.integer else { throw node.refuse("it computes on integer ids") }
            guard c.shape.count <= v.rank else {
                throw node.refuse(
                    "its constant '\(c.name)' of shape \(c.shape) has more axes than its input, so it would add a batch axis"
                )
            }
            if op == .add, let i = layerIndex[v.layer], layers[i].kind == .dense, layers[i].weights[.bias] == nil,
                layers[i].activation == .linear, layerUses[v.layer] == 1, let units = layers[i].units,
                isBias(c, units: units), c.shape.count <= 1 || v.rank == 2
            {
                layers[i].weights[.bias] = c.name
                alias(out, to: v)
                return
            }
            layer.constant = ConstantOperand(values: try c.floatValues(), shape: c.shape, isFirst: first)
            layer.inbound = [v.layer]
            append(layer, output: out, rank: v.rank)
        case (nil, nil):
            throw node.refuse("both inputs are constants (fold the constants first, e.g. with onnxsim)")
        }
    }
}
