import Foundation

/// Compiles layers into ``NetworkOp``s, loading each tensor once and
/// checking that widths chain.
struct NetworkBuilder {
    let graph: ModelGraph
    var names: [String] = []
    var values: [[Float]] = []
    var shapes: [[Int]] = []
    var trainable: [Int] = []
    var ops: [NetworkOp] = []
    /// Output width of the last op, once known.
    var width: Int?
    var firstWidth: Int?

    init(graph: ModelGraph) { self.graph = graph }

    private func unsupported(_ reason: String) -> FairAuditError { .unsupportedModel(reason: reason) }

    /// Loads tensor `name` (once) and returns its index.
    mutating func tensor(_ name: String, trainable isTrainable: Bool) throws -> Int {
        if let i = names.firstIndex(of: name) { return i }
        let t = try graph.tensor(named: name)
        names.append(name)
        values.append(try t.floatValues())
        shapes.append(t.shape)
        if isTrainable { trainable.append(names.count - 1) }
        return names.count - 1
    }

    /// Checks the incoming width is `w` (or sets it for the first layer).
    mutating func expect(_ w: Int, layer: Layer) throws {
        if let width, width != w {
            throw unsupported("layer '\(layer.name)' takes \(w) inputs but the previous layer gives \(width)")
        }
        if width == nil { firstWidth = w }
    }

    mutating func add(_ layer: Layer) throws {
        let slope = Float(layer.negativeSlope)
        switch layer.kind {
        case .input, .dropout, .flatten: return
        case .activation:
            guard let w = width else { throw unsupported("activation layer '\(layer.name)' comes before any layer with a known width") }
            ops.append(.activation(layer.activation, slope: slope, width: w))
        case .dense:
            guard let kernelName = layer.weights["kernel"] else {
                throw unsupported("dense layer '\(layer.name)' names no kernel tensor")
            }
            let k = try tensor(kernelName, trainable: true)
            guard shapes[k].count == 2 else {
                throw unsupported("the kernel '\(kernelName)' of dense layer '\(layer.name)' has shape \(shapes[k]), not 2-D")
            }
            let (inputs, outputs) = layer.kernelLayout == .inOut ? (shapes[k][0], shapes[k][1]) : (shapes[k][1], shapes[k][0])
            if let units = layer.units, units != outputs {
                throw unsupported("dense layer '\(layer.name)' has \(units) units but its kernel gives \(outputs)")
            }
            try expect(inputs, layer: layer)
            var b: Int?
            if let biasName = layer.weights["bias"] {
                let bi = try tensor(biasName, trainable: true)
                guard values[bi].count == outputs else {
                    throw unsupported("the bias '\(biasName)' of dense layer '\(layer.name)' has \(values[bi].count) values, expected \(outputs)")
                }
                b = bi
            }
            ops.append(.dense(kernel: k, bias: b, inputs: inputs, outputs: outputs, layout: layer.kernelLayout,
                              activation: layer.activation, slope: slope))
            width = outputs
        case .batchNormalization, .layerNormalization:
            var gamma: Int?, beta: Int?
            var w: Int?
            if let n = layer.weights["gamma"] { gamma = try tensor(n, trainable: true); w = values[gamma ?? 0].count }
            if let n = layer.weights["beta"] { beta = try tensor(n, trainable: true); w = values[beta ?? 0].count }
            if layer.kind == .batchNormalization {
                guard let mn = layer.weights["moving_mean"], let vn = layer.weights["moving_variance"] else {
                    throw unsupported("batch normalization '\(layer.name)' lacks moving_mean or moving_variance")
                }
                let m = try tensor(mn, trainable: false), v = try tensor(vn, trainable: false)
                w = values[m].count
                guard values[v].count == values[m].count else {
                    throw unsupported("batch normalization '\(layer.name)': mean and variance sizes differ")
                }
                guard let width = w ?? width else { throw unsupported("normalization '\(layer.name)' has no known width") }
                for i in [gamma, beta].compactMap({ $0 }) where values[i].count != width {
                    throw unsupported("normalization '\(layer.name)': γ/β sizes differ from the statistics'")
                }
                try expect(width, layer: layer)
                ops.append(.batchNorm(gamma: gamma, beta: beta, mean: m, variance: v, epsilon: Float(layer.epsilon), width: width))
                self.width = width
            } else {
                guard let width = w ?? width else { throw unsupported("normalization '\(layer.name)' has no known width") }
                if let g = gamma, let b = beta, values[g].count != values[b].count {
                    throw unsupported("layer normalization '\(layer.name)': γ and β sizes differ")
                }
                try expect(width, layer: layer)
                ops.append(.layerNorm(gamma: gamma, beta: beta, epsilon: Float(layer.epsilon), width: width))
                self.width = width
            }
            if layer.activation != .linear { ops.append(.activation(layer.activation, slope: slope, width: self.width ?? 0)) }
        }
    }

    /// Splits off the head and checks the output can give a binary score.
    /// With `multiclass`, a softmax or linear output of any width ≥ 2 is accepted too.
    mutating func finish(inputWidthHint: Int?, multiclass: Bool = false) throws -> ([NetworkOp], HeadKind, Int) {
        guard let inputWidth = firstWidth, let last = ops.last else { throw unsupported("the model has no layers to run") }
        if let hint = inputWidthHint, hint != inputWidth {
            throw unsupported("the first layer takes \(inputWidth) inputs but the model declares \(hint)")
        }
        var head = HeadKind.linear
        switch last {
        case .dense(let k, let b, let i, let o, let layout, let act, let slope):
            head = try Self.headKind(act)
            ops[ops.count - 1] = .dense(kernel: k, bias: b, inputs: i, outputs: o, layout: layout, activation: .linear, slope: slope)
        case .activation(let act, _, _):
            head = try Self.headKind(act)
            if head != .linear || act == .linear { ops.removeLast() }
        default: break
        }
        let k = ops.last?.outputWidth ?? inputWidth
        switch (head, k) {
        case (.sigmoid, 1), (.linear, 1), (.softmax, 2), (.linear, 2): break
        case (.softmax, 3...) where multiclass, (.linear, 3...) where multiclass: break
        default:
            throw unsupported("the output has \(k) units with a \(head.rawValue) head; a binary score needs 1 unit (sigmoid or logit) or 2 (softmax or logits)")
        }
        return (ops, head, inputWidth)
    }

    static func headKind(_ a: Activation) throws -> HeadKind {
        switch a {
        case .sigmoid: return .sigmoid
        case .softmax: return .softmax
        case .linear: return .linear
        default: throw FairAuditError.unsupportedModel(reason: "the output activation '\(a.rawValue)' does not give probabilities (use sigmoid, softmax or linear)")
        }
    }
}
