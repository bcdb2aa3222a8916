import Foundation

/// An element-wise activation, named as Keras names it.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case linear, relu, sigmoid, tanh, softmax, gelu, elu, selu
    case leakyRelu = "leaky_relu"
    case softplus, swish, silu
    /// The error function `erf(z)` (ONNX `Erf`, as exporters decompose GELU).
    case erf
    /// GELU's tanh approximation, `½ z (1 + tanh(√(2/π) (z + 0.044715 z³)))`
    /// (`gelu(x, approximate=True)`; keras_hub registers it as `gelu_approximate`).
    case geluTanh = "gelu_approximate"
}

/// Element-wise arithmetic of ONNX `Add`, `Sub`, `Mul`, `Div` with numpy broadcasting.
public enum Arithmetic: String, Sendable, Codable, CaseIterable {
    case add, subtract, multiply, divide
}

/// A constant operand stored in the model's graph (an ONNX initializer or
/// `Constant` node) that an element-wise layer reads beside its input.
public struct ConstantOperand: Sendable, Equatable {
    /// The values, C order.
    public var values: [Float]
    /// The constant's shape as stored, batch axis included when it has one
    /// (numpy broadcasting aligns it with the input's trailing axes).
    public var shape: [Int]
    /// The constant is the first operand (`c − x`, `c / x`) rather than the second.
    public var isFirst: Bool

    /// Creates a constant operand.
    public init(values: [Float], shape: [Int], isFirst: Bool) {
        self.values = values
        self.shape = shape
        self.isFirst = isFirst
    }
}

/// The orientation of a dense kernel as stored.
public enum KernelLayout: String, Sendable, Codable {
    /// Keras: `in × out`, `z = x W + b`.
    case inOut
    /// PyTorch: `out × in`, `z = x Wᵀ + b`.
    case outIn
}

/// One layer of a model whose architecture is known.
public struct Layer: Sendable, Equatable {
    /// The kinds of layer the executor runs.
    public enum Kind: String, Sendable, Codable {
        case input, dense, activation, dropout, batchNormalization, layerNormalization, flatten
        /// Convolutions and pooling over 1 or 2 spatial axes (settings in ``Layer/spatial``):
        /// `Conv1D`/`Conv2D`, `DepthwiseConv2D`, `SeparableConv2D`, `MaxPooling`,
        /// `AveragePooling`, their global forms, `ZeroPadding`, `Cropping`, `UpSampling`.
        case convolution, depthwiseConvolution, separableConvolution, maxPooling, averagePooling
        case globalAveragePooling, globalMaxPooling, zeroPadding, cropping, upSampling
        /// Integer ids → rows of an `embeddings` table.
        case embedding
        /// Keras `Normalization`: `(x − mean) / √variance`.
        case normalization
        /// Keras `Rescaling`: `x · scale + offset`.
        case rescaling
        /// Keras `Reshape` to `shape`, `Permute` by `shape` (1-based axes), `RepeatVector` `count` times.
        case reshape, permute, repeatVector
        /// Element-wise merges of several inputs.
        case add, subtract, multiply, average, maximum, minimum
        /// Joins inputs along `axes[0]`.
        case concatenate
        /// ONNX `Add`/`Sub`/`Mul`/`Div`: `arithmetic` over two inputs, or one
        /// input and `constant`, with numpy broadcasting.
        case arithmetic
        /// ONNX `Squeeze`/`Unsqueeze`: removes or inserts size-1 axes at `axes`
        /// (counting the batch axis, which stays).
        case squeeze, unsqueeze
        /// ONNX `Gather` of a computed value at constant indices (`constant`,
        /// integers) along `axes[0]`.
        case gather
        /// ONNX `MatMul` of two computed values over their last two axes,
        /// the leading axes broadcast (attention's `Q Kᵀ`).
        case matMul
        /// Keras `MultiHeadAttention` (settings in `attention`), inbound `[query, value, key?]`.
        case multiHeadAttention
        /// Keras `EinsumDense` (settings in `einsum`).
        case einsumDense
    }

    /// The layer's name (Keras `name`, or the state-dict prefix such as `net.0`).
    public var name: String
    /// What the layer computes.
    public var kind: Kind
    /// The activation applied after the layer (dense and activation layers).
    public var activation: Activation
    /// Negative slope for `leaky_relu` (Keras 3 default 0.2).
    public var negativeSlope: Double
    /// Output units of a dense layer.
    public var units: Int?
    /// Role → tensor name: `kernel`, `bias` (dense); `gamma`, `beta`,
    /// `moving_mean`, `moving_variance` (normalization layers).
    public var weights: [ParameterRole: String]
    /// How a dense kernel is stored.
    public var kernelLayout: KernelLayout
    /// Normalization epsilon.
    public var epsilon: Double
    /// Original class name from the config (for reports).
    public var className: String
    /// Names of the layers feeding this one, in argument order (functional
    /// models); nil in a chain, where the layer before feeds it.
    public var inbound: [String]?
    /// Input layers: the per-sample shape; `Reshape`: the target (`-1` once
    /// at most); `Permute`: the 1-based axis order.
    public var shape: [Int]?
    /// Input layers: the ids are integers (for an `Embedding`).
    public var integerInput: Bool = false
    /// Axes as Keras counts them (the batch axis is 0, `-1` the last):
    /// normalization axes, the `Concatenate` axis.
    public var axes: [Int]?
    /// `Rescaling` scale and offset; `RepeatVector`'s count is `units`.
    public var scale: Double = 1, offset: Double = 0
    /// `Normalization` mean and variance given in the config instead of as weights.
    public var mean: [Double]?, variance: [Double]?
    /// The operation of an `arithmetic` layer.
    public var arithmetic: Arithmetic?
    /// The constant operand of an `arithmetic` layer, or a `gather` layer's indices.
    public var constant: ConstantOperand?
    /// Window, strides, padding, layout… of a convolution or pooling layer.
    public var spatial: SpatialOptions?
    /// `MultiHeadAttention` settings.
    public var attention: AttentionSpec?
    /// `EinsumDense` settings.
    public var einsum: EinsumSpec?

    /// Creates a layer.
    public init(
        name: String, kind: Kind, activation: Activation = .linear, negativeSlope: Double = 0.2,
        units: Int? = nil, weights: [ParameterRole: String] = [:], kernelLayout: KernelLayout = .inOut,
        epsilon: Double = 1e-3, className: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.activation = activation
        self.negativeSlope = negativeSlope
        self.units = units
        self.weights = weights
        self.kernelLayout = kernelLayout
        self.epsilon = epsilon
        self.className = className ?? kind.rawValue
    }
}
