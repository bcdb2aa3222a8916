import Foundation

/// How a convolution or pooling window treats the border.
public enum SpatialPadding: Sendable, Equatable, Codable {
    /// No padding: only windows that fit inside the input, `out = ⌊(in − k_eff)/s⌋ + 1`.
    case valid
    /// Keras/TensorFlow `same`: `out = ⌈in/s⌉`, padded by
    /// `total = max((out − 1)·s + k_eff − in, 0)`, `⌊total/2⌋` before and the
    /// rest after (ONNX `SAME_UPPER`).
    case same
    /// Keras `Conv1D` `causal`: `k_eff − 1` zeros before, none after.
    case causal
    /// Given zeros `(before, after)` per spatial axis (ONNX `pads`).
    case explicit([[Int]])
}

/// Where the channel axis of a spatial layer's input sits.
public enum DataFormat: String, Sendable, Equatable, Codable {
    /// `(…spatial, C)` per sample: Keras' default.
    case channelsLast = "channels_last"
    /// `(C, …spatial)` per sample: ONNX and PyTorch.
    case channelsFirst = "channels_first"
}

/// The settings of a convolution, pooling, padding, cropping or
/// up-sampling layer (Keras config keys in parentheses).
public struct SpatialOptions: Sendable, Equatable {
    /// Spatial axes: 1 (`Conv1D`, `(T, C)` samples) or 2 (`Conv2D`, `(H, W, C)`).
    public var rank: Int
    /// Convolution window (`kernel_size`) or pooling window (`pool_size`), one per spatial axis.
    public var window: [Int]
    /// Step between windows (`strides`).
    public var strides: [Int]
    /// Spacing of a convolution window's taps (`dilation_rate`).
    public var dilation: [Int]
    /// Border handling (`padding`).
    public var padding: SpatialPadding
    /// Channel groups of a convolution (`groups`): group `g` of the output
    /// channels sees only group `g` of the input channels.
    public var groups: Int
    /// Output channels per input channel of a depthwise convolution (`depth_multiplier`).
    public var depthMultiplier: Int
    /// Output channels (`filters`), checked against the kernel when given.
    public var filters: Int?
    /// Channel axis placement (`data_format`).
    public var dataFormat: DataFormat
    /// Global pooling keeps the spatial axes as size 1 (`keepdims`).
    public var keepDims: Bool
    /// `ZeroPadding` (`padding`) or `Cropping` (`cropping`) amounts, `(before, after)` per spatial axis.
    public var amounts: [[Int]]
    /// `UpSampling` repeat factors (`size`), one per spatial axis.
    public var size: [Int]

    /// Options of a `rank`-dimensional layer; unset settings take Keras' defaults.
    public init(
        rank: Int, window: [Int]? = nil, strides: [Int]? = nil, dilation: [Int]? = nil,
        padding: SpatialPadding = .valid, groups: Int = 1, depthMultiplier: Int = 1, filters: Int? = nil,
        dataFormat: DataFormat = .channelsLast, keepDims: Bool = false, amounts: [[Int]]? = nil, size: [Int]? = nil
    ) {
        self.rank = rank
        let ones = [Int](repeating: 1, count: rank)
        self.window = window ?? ones
        self.strides = strides ?? self.window
        self.dilation = dilation ?? ones
        self.padding = padding
        self.groups = groups
        self.depthMultiplier = depthMultiplier
        self.filters = filters
        self.dataFormat = dataFormat
        self.keepDims = keepDims
        self.amounts = amounts ?? [[Int]](repeating: [0, 0], count: rank)
        self.size = size ?? [Int](repeating: 2, count: rank)
    }
}
