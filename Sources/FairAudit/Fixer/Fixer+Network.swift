import Foundation

/// A whole dense layer of the network the fixer trains, before factorization.
struct FixerDense {
    /// Index of the node in `Network.nodes`.
    var node: Int
    /// Index of the kernel tensor in `Network.values`.
    var kernel: Int
    /// Input and output units (the kernel is `rows × cols` in in×out orientation).
    var rows: Int, cols: Int
    var layout: KernelLayout
}

extension Network {
    /// The network the fixer trains: the executor's network over `graph.layers`,
    /// also accepting a softmax of K ≥ 2 classes, with the γ and β of batch
    /// and layer normalization frozen (the fixer trains dense layers; the
    /// gradient flows through the normalization). Refuses a softmax before
    /// the output and a model without a dense layer.
    init(fixing graph: ModelGraph) throws {
        guard let layers = graph.layers else {
            throw FairAuditError.unsupportedModel(reason: graph.architectureNote ?? "the model holds no architecture")
        }
        try self.init(graph: graph, layers: layers, multiclass: true)
        guard !fixerDenses.isEmpty else {
            throw FairAuditError.unsupportedModel(reason: "the model has no dense layer to fine-tune")
        }
        for node in nodes {
            if (node.op as? DenseOp)?.activation == .softmax || (node.op as? ActivationOp)?.activation == .softmax {
                throw FairAuditError.unsupportedModel(reason: "fix supports softmax only as the output activation")
            }
            if node.op is BatchNormalizationOp || node.op is LayerNormalizationOp {
                trainable.removeAll { $0 == node.params[.gamma] || $0 == node.params[.beta] }
            }
        }
    }

    /// The whole (not yet factorized) dense layers on one position per row, in order.
    var fixerDenses: [FixerDense] {
        nodes.indices.compactMap { i in
            guard let dense = nodes[i].op as? DenseOp, let k = nodes[i].params[.kernel] else { return nil }
            let (nIn, nOut) = dense.dims(parameterShapes[k])
            return FixerDense(node: i, kernel: k, rows: nIn, cols: nOut, layout: dense.layout)
        }
    }

    /// Kernel and bias values of every dense layer, factorized or not: what
    /// fine-tuning everything would train.
    var denseParameterCount: Int {
        nodes.reduce(0) { sum, node in
            guard node.op is DenseOp || node.op is FactorizedDenseOp else { return sum }
            return sum + [ParameterRole.kernel, .bias].reduce(0) { $0 + (node.params[$1].map { values[$0].count } ?? 0) }
        }
    }

    /// A tensor in in×out orientation: `values` as stored, transposed back from out×in.
    func inOut(_ v: [Float], _ d: FixerDense) -> [Float] {
        d.layout == .outIn ? Buffers.transpose(v, rows: d.cols, cols: d.rows) : v
    }
}
