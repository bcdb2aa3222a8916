import Foundation

/// The one rule every format uses to tell a PyTorch-style state dict from a
/// plain collection of arrays, so `inspect` and `convert` name a file's
/// layout alike whatever the container (npz, HDF5).
public enum StateDictLayout {
    /// PyTorch's parameter and buffer names.
    static let torchLeaves: Set<String> = [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked",
        "in_proj_weight", "in_proj_bias",
    ]

    /// `torch-state-dict` when, leaving metadata members out (see
    /// ``Tensor/isMetadata``), every name is top-level and dotted like
    /// `net.0.weight`, ends in a PyTorch parameter or buffer name, and some
    /// end in `weight` or `bias`; else `arrays`.
    public static func detect(_ tensors: [Tensor]) -> ModelLayout {
        let names = tensors.filter { !$0.isMetadata }.map(\.name)
        let leaves = names.map { $0.split(separator: ".").last.map(String.init) ?? $0 }
        let dotted = names.allSatisfy { $0.contains(".") && !$0.contains("/") }
        let hasWeights = leaves.contains { $0 == "weight" || $0 == "bias" }
        return !names.isEmpty && dotted && hasWeights && leaves.allSatisfy({ torchLeaves.contains($0) })
            ? .torchStateDict : .arrays
    }
}
