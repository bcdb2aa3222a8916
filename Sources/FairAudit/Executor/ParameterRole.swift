import Foundation

/// What a parameter tensor is to the layer that reads it (Keras' weight
/// names; PyTorch's `weight`/`running_mean`/… map onto the same roles).
public enum ParameterRole: String, Sendable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    /// A dense kernel (stored as its layer's ``KernelLayout`` says).
    case kernel
    /// An additive bias, one per output unit.
    case bias
    /// A normalization scale γ.
    case gamma
    /// A normalization offset β.
    case beta
    /// Batch normalization's running mean μ (not trained).
    case movingMean = "moving_mean"
    /// Batch normalization's running variance σ² (not trained).
    case movingVariance = "moving_variance"
    /// An embedding table, `input_dim × output_dim`.
    case embeddings
    /// A `Normalization` layer's mean (not trained).
    case mean
    /// A `Normalization` layer's variance (not trained).
    case variance
    /// A `Normalization` layer's sample count (kept, never used).
    case count
    /// The left factor `A` (`in × r`) of a factorized kernel.
    case factorA = "factor_a"
    /// The right factor `B` (`r × out`) of a factorized kernel.
    case factorB = "factor_b"
    /// A separable convolution's per-channel kernel `(kh, kw, C, mult)`.
    case depthwiseKernel = "depthwise_kernel"
    /// A separable convolution's 1×1 kernel `(1, 1, C·mult, filters)`.
    case pointwiseKernel = "pointwise_kernel"
    /// Attention projections, Keras' variable paths: kernels `(d, heads, key_dim)`
    /// for query and key, `(d, heads, value_dim)` for value, `(heads, value_dim, out)`
    /// for the output; biases `(heads, dim)` and `(out)`.
    case queryKernel = "query/kernel"
    case queryBias = "query/bias"
    case keyKernel = "key/kernel"
    case keyBias = "key/bias"
    case valueKernel = "value/kernel"
    case valueBias = "value/bias"
    case outputKernel = "attention_output/kernel"
    case outputBias = "attention_output/bias"
    /// The low-rank factors `A` (`d × r`) and `B` (`r × heads·dim`) of a
    /// factorized attention projection (the output's: `heads·dim × r`, `r × out`).
    case queryFactorA = "query/factor_a"
    case queryFactorB = "query/factor_b"
    case keyFactorA = "key/factor_a"
    case keyFactorB = "key/factor_b"
    case valueFactorA = "value/factor_a"
    case valueFactorB = "value/factor_b"
    case outputFactorA = "attention_output/factor_a"
    case outputFactorB = "attention_output/factor_b"

    /// True for the roles gradient descent and the Fisher see: not running
    /// statistics, not preprocessing constants.
    public var isTrainable: Bool {
        switch self {
        case .movingMean, .movingVariance, .mean, .variance, .count: false
        default: true
        }
    }

    /// The roles of the factors `(A, B)` that replace this weight when it is
    /// factorized: an attention projection's own pair, `factor_a`/`factor_b` for any other weight.
    public var factorRoles: (a: ParameterRole, b: ParameterRole) {
        switch self {
        case .queryKernel: (.queryFactorA, .queryFactorB)
        case .keyKernel: (.keyFactorA, .keyFactorB)
        case .valueKernel: (.valueFactorA, .valueFactorB)
        case .outputKernel: (.outputFactorA, .outputFactorB)
        default: (.factorA, .factorB)
        }
    }

    /// True for a low-rank factor: a training-time tensor, never written to a file.
    public var isFactor: Bool {
        switch self {
        case .factorA, .factorB, .queryFactorA, .queryFactorB, .keyFactorA, .keyFactorB, .valueFactorA, .valueFactorB,
            .outputFactorA, .outputFactorB:
            true
        default: false
        }
    }

    /// Keras' name (`moving_mean`, `query/kernel`), as messages and paths print it.
    public var description: String { rawValue }

    /// The tensor-name suffix PyTorch's state dicts use for this role
    /// (`weight` for a kernel or γ, `running_var` for σ², …); Keras' own
    /// name for roles PyTorch has no name of its own for.
    public var torchName: String {
        switch self {
        case .kernel, .gamma: "weight"
        case .beta: "bias"
        case .movingMean: "running_mean"
        case .movingVariance: "running_var"
        default: rawValue
        }
    }

    /// The role a state-dict tensor named `…<leaf>` plays in a layer that
    /// reads `roles`: `weight` is a kernel when 2-D or when the layer has
    /// one, else γ; `bias` is β in a normalization layer; running
    /// statistics map to Keras' moving ones; Keras' own names stand.
    public init?(stateDictLeaf leaf: String, rank: Int, roles: [ParameterRole]) {
        switch leaf {
        case "weight": self = rank == 2 || roles.contains(.kernel) ? .kernel : .gamma
        case "bias": self = roles.contains(.beta) && !roles.contains(.bias) ? .beta : .bias
        case "running_mean": self = .movingMean
        case "running_var": self = .movingVariance
        default: self.init(rawValue: leaf)
        }
    }

    /// The roles `convert --layout` renames, in Keras' weight order.
    public static let convertible: [ParameterRole] = [.kernel, .bias, .gamma, .beta, .movingMean, .movingVariance]

    /// Declaration order, so gradients and Fisher list roles the same way every time.
    public static func < (a: ParameterRole, b: ParameterRole) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// The parameter values one layer reads, by role (stored layout, C order).
struct LayerParams {
    var values: [ParameterRole: [Float]] = [:]

    /// The values of `role`, empty when the layer has none.
    subscript(_ role: ParameterRole) -> [Float] { values[role] ?? [] }

    /// True when the layer has a tensor for `role`.
    func has(_ role: ParameterRole) -> Bool { values[role] != nil }
}

/// Row weights `w[n, c]` (`rows × columns`, row-major) that the Fisher
/// pass sums squared per-sample gradients with: one column per group, or
/// per (group, permutation round); a row's weight also carries the
/// model-Fisher class probability.
struct Membership {
    var rows: Int
    var columns: Int
    var weights: [Float]
}
