import Foundation

extension NetworkBuilder {
    /// The op of a `MultiHeadAttention` layer.
    static func attentionOp(for layer: Layer) throws -> any LayerOp {
        guard let spec = layer.attention else {
            throw unsupported("MultiHeadAttention layer '\(layer.name)' has no num_heads and key_dim")
        }
        return MultiHeadAttentionOp(spec: spec)
    }

    /// The op of an `EinsumDense` layer (its activation runs as a node of its own).
    static func einsumOp(for layer: Layer) throws -> any LayerOp {
        guard let spec = layer.einsum, let plan = EinsumPlan(spec.equation) else {
            throw unsupported(
                "EinsumDense layer '\(layer.name)' has equation '\(layer.einsum?.equation ?? "")', which fairaudit does not run"
            )
        }
        let own = spec.outputShape.suffix(plan.kernelOwn.count)
        guard own.count == plan.kernelOwn.count, own.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw unsupported(
                "EinsumDense layer '\(layer.name)' has output_shape \(spec.outputShape.map { $0.map(String.init) ?? "None" }), which does not give the sizes of '\(plan.kernelOwn)'"
            )
        }
        return EinsumDenseOp(
            plan: plan, ownDims: own.compactMap { $0 }, activation: .linear, useBias: layer.weights[.bias] != nil)
    }
}
