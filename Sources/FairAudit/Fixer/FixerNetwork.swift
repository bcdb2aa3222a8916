import Foundation

/// The fixer's own trainable copy of a model's dense chain: dense layers
/// (whole, or factorized as `x·A·B`), element-wise activations and frozen
/// batch-normalization affines, ending in logits. Dropout is the identity
/// (fine-tuning runs without it, so a seed fixes the whole run).
struct FixerNetwork {
    /// One step of the chain.
    enum Op {
        /// Dense layer `denses[i]`: `z = x W + b` or `z = (x A) B + b`.
        case dense(Int)
        /// Element-wise activation.
        case activation(Activation, slope: Float)
        /// A frozen per-feature affine `y = x ⊙ scale + shift` (inference batch-norm).
        case affine(scale: [Float], shift: [Float])
    }

    /// How the logits become the probability of the observed label.
    enum Head: Equatable {
        /// One logit, `p = σ(z)`, binary cross-entropy.
        case sigmoid
        /// K logits, softmax, cross-entropy; the label is the class index.
        case softmax(Int)
    }

    /// A dense layer and where its parameters live in `params`.
    struct Dense {
        var layerName: String
        var kernelName: String
        var biasName: String?
        var layout: KernelLayout
        var rows: Int, cols: Int
        /// Index of the whole kernel (in×out), when not factorized.
        var kernel: Int?
        /// Indices of `A` (in×r) and `B` (r×out), when factorized.
        var factors: (a: Int, b: Int, rank: Int)?
        var bias: Int?
    }

    var ops: [Op] = []
    var denses: [Dense] = []
    var params: [[Float]] = []
    var paramNames: [String] = []
    var trainable: [Bool] = []
    var head: Head = .sigmoid
    var inputWidth: Int = 0

    /// Width of the logits.
    var outputWidth: Int { if case .softmax(let k) = head { return k } else { return 1 } }

    mutating func addParam(_ values: [Float], name: String, trainable t: Bool) -> Int {
        params.append(values); paramNames.append(name); trainable.append(t)
        return params.count - 1
    }

    /// Builds the chain from `graph.layers`; the last activation (sigmoid,
    /// softmax, or none) becomes the head.
    init(graph: ModelGraph) throws {
        guard let layers = graph.layers else {
            throw FairAuditError.unsupportedModel(reason: graph.architectureNote ?? "the model holds no architecture")
        }
        var width = graph.inputWidth
        for layer in layers {
            switch layer.kind {
            case .input, .flatten, .dropout: continue
            case .layerNormalization:
                throw FairAuditError.unsupportedModel(reason: "layer '\(layer.name)': fix does not train through layer normalization")
            case .batchNormalization:
                try appendBatchNorm(layer, graph: graph, width: width)
            case .activation:
                ops.append(.activation(layer.activation, slope: Float(layer.negativeSlope)))
            case .dense:
                width = try appendDense(layer, graph: graph, width: width)
                if layer.activation != .linear {
                    ops.append(.activation(layer.activation, slope: Float(layer.negativeSlope)))
                }
            }
        }
        guard let first = denses.first else {
            throw FairAuditError.unsupportedModel(reason: "the model has no dense layer to fine-tune")
        }
        inputWidth = first.rows
        let outWidth = denses[denses.count - 1].cols
        if case .activation(let act, _) = ops.last {
            switch act {
            case .sigmoid where outWidth == 1: head = .sigmoid
            case .softmax where outWidth >= 2: head = .softmax(outWidth)
            default:
                throw FairAuditError.unsupportedModel(
                    reason: "the output activation must be sigmoid (1 unit), softmax (2+ units) or linear, not \(act.rawValue) with \(outWidth) units")
            }
            ops.removeLast()
        } else {
            head = outWidth == 1 ? .sigmoid : .softmax(outWidth)
        }
        for case .activation(let act, _) in ops where act == .softmax {
            throw FairAuditError.unsupportedModel(reason: "fix supports softmax only as the output activation")
        }
    }

    private mutating func appendDense(_ layer: Layer, graph: ModelGraph, width: Int?) throws -> Int {
        guard let kname = layer.weights["kernel"] else {
            throw FairAuditError.unsupportedModel(reason: "dense layer '\(layer.name)' names no kernel")
        }
        let t = try graph.tensor(named: kname)
        guard t.shape.count == 2 else { throw FairAuditError.shapeMismatch(name: kname, expected: [0, 0], found: t.shape) }
        let (rows, cols) = layer.kernelLayout == .inOut ? (t.shape[0], t.shape[1]) : (t.shape[1], t.shape[0])
        if let width, width != rows {
            throw FairAuditError.shapeMismatch(name: kname, expected: layer.kernelLayout == .inOut ? [width, cols] : [cols, width], found: t.shape)
        }
        var w = try t.floatValues()
        if layer.kernelLayout == .outIn { w = Self.transpose(w, rows: cols, cols: rows) }
        let k = addParam(w, name: kname, trainable: true)
        var bias: Int?
        if let bname = layer.weights["bias"] {
            let bt = try graph.tensor(named: bname)
            guard bt.elementCount == cols else { throw FairAuditError.shapeMismatch(name: bname, expected: [cols], found: bt.shape) }
            bias = addParam(try bt.floatValues(), name: bname, trainable: true)
        }
        denses.append(Dense(layerName: layer.name, kernelName: kname, biasName: layer.weights["bias"],
                            layout: layer.kernelLayout, rows: rows, cols: cols, kernel: k, factors: nil, bias: bias))
        ops.append(.dense(denses.count - 1))
        return cols
    }

    private mutating func appendBatchNorm(_ layer: Layer, graph: ModelGraph, width: Int?) throws {
        func values(_ role: String, default d: Float) throws -> [Float]? {
            guard let n = layer.weights[role] else { return nil }
            return try graph.tensor(named: n).floatValues()
        }
        guard let mean = try values("moving_mean", default: 0), let variance = try values("moving_variance", default: 1),
              mean.count == variance.count else {
            throw FairAuditError.unsupportedModel(reason: "batch normalization '\(layer.name)' lacks its moving mean or variance")
        }
        let n = mean.count
        let gamma = try values("gamma", default: 1) ?? [Float](repeating: 1, count: n)
        let beta = try values("beta", default: 0) ?? [Float](repeating: 0, count: n)
        guard gamma.count == n, beta.count == n, width == nil || width == n else {
            throw FairAuditError.unsupportedModel(reason: "batch normalization '\(layer.name)' has mismatched parameter sizes")
        }
        var scale = [Float](repeating: 0, count: n), shift = scale
        for i in 0..<n {
            scale[i] = gamma[i] / (variance[i] + Float(layer.epsilon)).squareRoot()
            shift[i] = beta[i] - mean[i] * scale[i]
        }
        ops.append(.affine(scale: scale, shift: shift))
    }

    /// The transpose of a row-major `rows × cols` matrix.
    static func transpose(_ m: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = m[r * cols + c] } }
        return out
    }
}
