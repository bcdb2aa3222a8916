import Foundation

/// How a file lays out its tensors: whose naming and orientation
/// conventions they follow. The raw values are what `inspect`, the JSON
/// reports and partial results print.
public enum ModelLayout: String, Sendable, CaseIterable, Codable {
    /// A legacy Keras HDF5 model: a root `model_config` and a `model_weights` group.
    case kerasLegacy = "keras-legacy"
    /// A Keras 3 `.keras` bundle (zip of `config.json` and `model.weights.h5`).
    case kerasBundle = "keras-bundle"
    /// A tf.keras 2 weights file: `layer_names` on the root.
    case keras2Weights = "keras2-weights"
    /// A Keras 3 weights file: `layers/<x>/vars/<i>` datasets.
    case keras3Weights = "keras3-weights"
    /// Tensors renamed to Keras' conventions by `convert --layout keras`.
    case kerasWeights = "keras-weights"
    /// A PyTorch-style state dict: dotted names ending in `weight`, `bias`, ….
    case torchStateDict = "torch-state-dict"
    /// Named arrays with no known convention.
    case arrays
    /// An ONNX `ModelProto`: initializers and a graph of nodes.
    case onnx

    /// True for the layouts that carry no architecture of their own, so a
    /// config (`--architecture`) or flags must give it: state dicts and plain arrays.
    public var needsArchitecture: Bool { self == .torchStateDict || self == .arrays }

    /// True for Keras weights files, which find their config beside them.
    public var isKerasWeightsFile: Bool { self == .keras2Weights || self == .keras3Weights }
}
