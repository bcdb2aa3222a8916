import Foundation

/// A new output layer for transfer to a new task (docs/method.md §5, "New head").
public struct NewHead: Sendable, Equatable {
    /// Output units: 1 for a binary label.
    public var units: Int = 1
    /// Output activation: sigmoid for a binary label.
    public var activation: Activation = .sigmoid
    /// Cut the model after this layer; nil replaces the last dense layer.
    public var after: String? = nil

    /// A sigmoid head of one unit replacing the last dense layer.
    public init(units: Int = 1, activation: Activation = .sigmoid, after: String? = nil) {
        self.units = units
        self.activation = activation
        self.after = after
    }
}

extension ModelGraph {
    /// This graph with its output layer replaced by `head`, initialized from `seed`.
    ///
    /// Without `head.after`, the last dense layer becomes the head; with it,
    /// the first dense layer after the named one does, and every layer
    /// between (and after the head) is dropped with its tensors; activation
    /// layers right after the named layer stay (they are its activation). The head
    /// keeps its layer and tensor names (so Keras configs and state dicts
    /// find it where they did) with new shapes: the kernel `in × units`
    /// (`units × in` for an out×in layout), Glorot uniform
    /// `U(−√(6/(in+units)), +√(6/(in+units)))`, the bias zero. Both tensors are
    /// marked modified so writers replace them.
    public func replacingHead(_ head: NewHead, seed: UInt64) throws -> ModelGraph {
        let path = source?.path ?? "the model"
        guard var layers else {
            throw FairAuditError.unsupportedModel(reason: architectureNote ?? "the model holds no architecture")
        }
        let index: Int
        if let after = head.after {
            guard var cut = layers.firstIndex(where: { $0.name == after }) else {
                throw FairAuditError.invalidInput(
                    path: path,
                    reason:
                        "--new-head-from: the model has no layer '\(after)' (layers: \(layers.map(\.name).joined(separator: ", ")))"
                )
            }
            // A dense layer keeps the activation that follows it (a state
            // dict's inferred `relu`, Keras' Dense-then-Activation).
            while layers[cut].kind == .dense || layers[cut].kind == .activation,
                cut + 1 < layers.count, layers[cut + 1].kind == .activation
            { cut += 1 }
            guard let next = layers.indices.first(where: { $0 > cut && layers[$0].kind == .dense }) else {
                throw FairAuditError.invalidInput(
                    path: path, reason: "--new-head-from: no dense layer follows '\(after)' to become the new head")
            }
            guard layers[cut].kind != .input else {
                throw FairAuditError.invalidInput(
                    path: path,
                    reason: "--new-head-from: '\(after)' is the input; the new head needs a layer of the body before it"
                )
            }
            let dropped = layers[(cut + 1)..<next]
            guard dropped.allSatisfy({ $0.weights.isEmpty }) else {
                let named = dropped.first { !$0.weights.isEmpty }?.name ?? ""
                throw FairAuditError.invalidInput(
                    path: path,
                    reason:
                        "--new-head-from: layer '\(named)' with weights lies between '\(after)' and the next dense layer; cut after a dense layer instead"
                )
            }
            layers.removeSubrange((cut + 1)..<next)
            index = cut + 1
        } else {
            guard let last = layers.lastIndex(where: { $0.kind == .dense }) else {
                throw FairAuditError.unsupportedModel(reason: "the model has no dense layer to replace with a new head")
            }
            index = last
        }
        var out = self
        let removed = layers[(index + 1)...].flatMap { $0.weights.values }
        layers.removeSubrange((index + 1)...)
        out.tensors.removeAll { removed.contains($0.name) }
        var layer = layers[index]
        guard let kernelName = layer.weights[.kernel] else {
            throw FairAuditError.unsupportedModel(reason: "dense layer '\(layer.name)' has no kernel")
        }
        let kernel = try tensor(named: kernelName)
        let fanIn = layer.kernelLayout == .outIn ? kernel.shape.last ?? 0 : kernel.shape.first ?? 0
        guard kernel.shape.count == 2, fanIn > 0 else {
            throw FairAuditError.invalidInput(
                path: path, reason: "tensor '\(kernelName)' has shape \(kernel.shape), not a dense kernel")
        }
        let values = NewHead.glorotUniform(fanIn: fanIn, fanOut: head.units, seed: seed)
        let shape = layer.kernelLayout == .outIn ? [head.units, fanIn] : [fanIn, head.units]
        // Glorot draws in in×out order; an out×in kernel stores its transpose.
        let stored = layer.kernelLayout == .outIn ? Buffers.transpose(values, rows: fanIn, cols: head.units) : values
        try out.replaceTensor(kernel, shape: shape, values: stored)
        if let biasName = layer.weights[.bias] {
            try out.replaceTensor(
                try tensor(named: biasName), shape: [head.units],
                values: [Float](repeating: 0, count: head.units))
        }
        layer.units = head.units
        layer.activation = head.activation
        layers[index] = layer
        out.layers = layers
        return out
    }

    /// Replaces `old` (by name) with a modified tensor of `shape` holding `values`, in its dtype and byte order.
    mutating func replaceTensor(_ old: Tensor, shape: [Int], values: [Float]) throws {
        guard let i = tensors.firstIndex(where: { $0.name == old.name }) else {
            throw FairAuditError.missingTensor(name: old.name)
        }
        let dtype: DType = old.dtype.isFloatingPoint ? old.dtype : .float32
        tensors[i] = Tensor(
            name: old.name, dtype: dtype, shape: shape, byteOrder: old.byteOrder,
            storage: .bytes(Tensor.encode(values.map(Double.init), dtype: dtype, byteOrder: old.byteOrder)),
            origin: old.origin, isModified: true)
    }
}

extension NewHead {
    /// Glorot (Xavier) uniform, as Keras' `GlorotUniform`: `fanIn × fanOut`
    /// values, row-major, uniform on `[−l, l)` with `l = √(6/(fanIn+fanOut))`,
    /// drawn from SplitMix64 seeded by `seed` (24-bit uniforms).
    public static func glorotUniform(fanIn: Int, fanOut: Int, seed: UInt64) -> [Float] {
        let limit = (6 / Double(fanIn + fanOut)).squareRoot()
        var rng = SplitMix64(seed: seed, stream: 0x4E48)
        return (0..<(fanIn * fanOut)).map { _ in
            let u = Double(rng.next() >> 40) / Double(1 << 24)
            return Float((2 * u - 1) * limit)
        }
    }
}
