import Foundation

/// The settings of a Keras `MultiHeadAttention` layer the executor runs:
/// `softmax(Q Kᵀ / √key_dim) V` per head, then the output projection.
public struct AttentionSpec: Sendable, Equatable, Codable {
    /// `num_heads`.
    public var heads: Int
    /// `key_dim`: the size of each head's query and key.
    public var keyDim: Int
    /// `value_dim` (Keras' default: `key_dim`).
    public var valueDim: Int
    /// `output_shape` as one size, or nil for the query's last dimension.
    public var outputDim: Int?
    /// `use_bias`.
    public var useBias: Bool

    /// Creates the settings.
    public init(heads: Int, keyDim: Int, valueDim: Int? = nil, outputDim: Int? = nil, useBias: Bool = true) {
        self.heads = heads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.outputDim = outputDim
        self.useBias = useBias
    }
}

/// The settings of a Keras `EinsumDense` layer: `equation` such as
/// `abc,cd->abd`, the output's letters that carry a bias, and the
/// configured output shape (batch excluded, nil where Keras leaves it free).
public struct EinsumSpec: Sendable, Equatable, Codable {
    /// The einsum equation, `input,kernel->output`.
    public var equation: String
    /// `bias_axes`, or nil without a bias.
    public var biasAxes: String?
    /// `output_shape` without the batch axis.
    public var outputShape: [Int?]

    /// Creates the settings.
    public init(equation: String, biasAxes: String?, outputShape: [Int?]) {
        self.equation = equation
        self.biasAxes = biasAxes
        self.outputShape = outputShape
    }
}
