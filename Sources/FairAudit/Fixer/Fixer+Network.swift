import Foundation

/// A whole (not yet factorized) matrix-weighted layer of the network the
/// fixer trains: a dense kernel, an embedding table, a convolution kernel,
/// an attention projection (``MatrixWeightedOp``).
struct FixerMatrix {
    /// Index of the node in `Network.nodes`.
    var node: Int
    /// Index of the weight tensor in `Network.values`.
    var weight: Int
    /// The weight's role in its layer (`kernel`, `query/kernel`, …).
    var role: ParameterRole
    /// The matrix view's rows and columns (inputs × outputs).
    var rows: Int, cols: Int
    /// The layer's class, for messages.
    var className: String
    /// True for an embedding table (factorized only when asked).
    var isEmbedding: Bool
}

extension Network {
    /// The network the fixer trains: the executor's network over `graph.layers`,
    /// also accepting a softmax of K ≥ 2 classes. Normalization γ and β stay
    /// frozen unless `--layers` names their layer (then they train whole);
    /// moving statistics always do, as batch normalization runs in inference
    /// mode. A softmax inside the
    /// model trains as any layer does. Refuses a model with no matrix-weighted layer.
    init(fixing graph: ModelGraph) throws {
        guard let layers = graph.layers else {
            throw FairAuditError.unsupportedModel(reason: graph.architectureNote ?? "the model holds no architecture")
        }
        try self.init(graph: graph, layers: layers, multiclass: true)
        guard !fixerMatrices.isEmpty else {
            throw FairAuditError.unsupportedModel(reason: "the model has no layer with a weight matrix to fine-tune")
        }
        for node in nodes where node.op is BatchNormalizationOp || node.op is LayerNormalizationOp {
            trainable.removeAll { $0 == node.params[.gamma] || $0 == node.params[.beta] }
        }
    }

    /// The whole weight matrices of matrix-weighted layers (an attention
    /// layer's four projections each), in node order.
    var fixerMatrices: [FixerMatrix] {
        nodes.indices.flatMap { i -> [FixerMatrix] in
            guard let op = nodes[i].op as? any MatrixWeightedOp, op.isFactorizable else { return [] }
            return op.matrixRoles.compactMap { role in
                guard let w = nodes[i].params[role] else { return nil }
                let (rows, cols) = op.matrixShape(parameterShapes[w], role: role)
                return FixerMatrix(
                    node: i, weight: w, role: role, rows: rows, cols: cols, className: op.className,
                    isEmbedding: op is EmbeddingOp)
            }
        }
    }

    /// A weight in its matrix view (`rows × cols`).
    func matrix(_ m: FixerMatrix) -> [Float] { matrix(values[m.weight], m) }

    /// A per-weight tensor (the weight, its Fisher) in the same matrix view.
    func matrix(_ v: [Float], _ m: FixerMatrix) -> [Float] {
        guard let op = nodes[m.node].op as? any MatrixWeightedOp else { return v }
        return op.matrix(v, shape: parameterShapes[m.weight], role: m.role)
    }
}
