import Foundation

/// A whole dense layer of the network the fixer trains, before factorization.
struct FixerDense {
    /// Index of the op in `Network.ops`.
    var op: Int
    /// Index of the kernel tensor in `Network.values`.
    var kernel: Int
    /// Input and output units (the kernel is `rows × cols` in in×out orientation).
    var rows: Int, cols: Int
    var layout: KernelLayout
}

extension Network {
    /// The network the fixer trains: the executor's network over `graph.layers`,
    /// also accepting a softmax of K ≥ 2 classes, with batch-normalization γ
    /// and β frozen (inference affine). Refuses layer normalization, a
    /// softmax before the output, and a model without a dense layer.
    init(fixing graph: ModelGraph) throws {
        guard let layers = graph.layers else {
            throw FairAuditError.unsupportedModel(reason: graph.architectureNote ?? "the model holds no architecture")
        }
        if let norm = layers.first(where: { $0.kind == .layerNormalization }) {
            throw FairAuditError.unsupportedModel(reason: "layer '\(norm.name)': fix does not train through layer normalization")
        }
        try self.init(graph: graph, layers: layers, multiclass: true)
        guard !fixerDenses.isEmpty else {
            throw FairAuditError.unsupportedModel(reason: "the model has no dense layer to fine-tune")
        }
        for op in ops {
            switch op {
            case .dense(_, _, _, _, _, .softmax, _), .activation(.softmax, _, _):
                throw FairAuditError.unsupportedModel(reason: "fix supports softmax only as the output activation")
            case .batchNorm(let gamma, let beta, _, _, _, _):
                trainable.removeAll { $0 == gamma || $0 == beta }
            default: break
            }
        }
    }

    /// The objective's head: one logit through a sigmoid, or K through a softmax.
    var fixerHead: FixerObjective.Head { outputWidth == 1 ? .sigmoid : .softmax(outputWidth) }

    /// The whole (not yet factorized) dense layers, in order.
    var fixerDenses: [FixerDense] {
        ops.indices.compactMap { i in
            guard case .dense(let k, _, let nIn, let nOut, let layout, _, _) = ops[i] else { return nil }
            return FixerDense(op: i, kernel: k, rows: nIn, cols: nOut, layout: layout)
        }
    }

    /// Kernel and bias values of every dense layer, factorized or not: what
    /// fine-tuning everything would train.
    var denseParameterCount: Int {
        ops.reduce(0) { sum, op in
            switch op {
            case .dense(_, let b, let i, let o, _, _, _), .factorized(_, _, _, _, let b, let i, let o, _, _, _):
                return sum + i * o + (b.map { values[$0].count } ?? 0)
            default: return sum
            }
        }
    }

    /// A tensor in in×out orientation: `values` as stored, transposed back from out×in.
    func inOut(_ v: [Float], _ d: FixerDense) -> [Float] {
        d.layout == .outIn ? Self.transpose(v, rows: d.cols, cols: d.rows) : v
    }

    /// The logits (`rows × outputWidth`) of `rows` rows of `x`, in chunks of `chunk` rows.
    func logits(_ x: [Float], rows: Int, chunk: Int = 4096) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows * outputWidth)
        var trace = ForwardTrace(ops: ops.count)
        var start = 0
        while start < rows {
            let n = min(chunk, rows - start)
            Buffers.resize(&trace.inputs[0], 0)
            trace.inputs[0].append(contentsOf: x[(start * inputWidth)..<((start + n) * inputWidth)])
            runForward(&trace, rows: n)
            out.append(contentsOf: trace.logits)
            start += n
        }
        return out
    }
}
