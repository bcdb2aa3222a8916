import Foundation

extension Tensor {
    /// True for a member that is not a weight: a non-floating-point array
    /// (an epoch counter, class ids, `num_batches_tracked`) or a 0-d scalar
    /// (a saved learning rate). Such members are kept, shown and written back,
    /// but never taken for a layer's weights.
    public var isMetadata: Bool { !dtype.isFloatingPoint || shape.isEmpty }
}

extension ModelGraph {
    /// The tensors that can be weights: every tensor that is not
    /// ``Tensor/isMetadata`` and not named in `excluded`, in file order.
    public func weightTensors(excluding excluded: Set<String> = []) -> [Tensor] {
        tensors.filter { !$0.isMetadata && !excluded.contains($0.name) }
    }
}
