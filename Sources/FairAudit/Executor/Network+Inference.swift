import Foundation

/// How the forward pass for scores alone runs a node. Without a backward
/// pass, a value that only the next layer reads need not be stored, so a
/// chain of layers may run as one step.
enum InferenceStep: Sendable {
    /// As in the traced forward pass.
    case run
    /// Skipped when the batch has at least `minRows` rows: a fused step
    /// produces what this node feeds.
    case fused(minRows: Int)
    /// A convolution fed by embedding node `embedding` (``ConvOp/forward(ids:embedding:table:_:reluMax:output:cache:)``),
    /// run from the ids when the batch has at least `minRows` rows (the
    /// table pays); with `pool`, the relu and global max pooling before node
    /// `pool` folded in, writing `pool`'s value.
    case embeddingConv(conv: ConvOp, embedding: EmbeddingOp, embeddingNode: Int, pool: Int?, minRows: Int)
    /// A multi-head attention whose every input is an embedding's output
    /// (node `embeddingNodes[k]` for input `k`), run from the ids through
    /// tables of projected rows (``MultiHeadAttentionOp/forward(ids:embeddings:tables:_:output:cache:)``)
    /// when the batch has at least `minRows` rows.
    case embeddingAttention(
        attention: MultiHeadAttentionOp, embeddings: [EmbeddingOp], embeddingNodes: [Int], minRows: Int)
    /// A convolution with the batch normalizations, relus and addition
    /// after it (``ConvEpilogue``) run on each chunk of its output, writing
    /// the value of node `epilogue.last`.
    case convChain(conv: ConvOp, epilogue: ConvEpilogue)
}

extension Network {
    /// The steps of the forward pass for scores: an `Embedding` whose one
    /// reader is an ungrouped convolution runs inside it, and a `relu` then
    /// `GlobalMaxPooling` that only read the convolution fold into it too;
    /// the channel `BatchNormalization`s, `relu`s and one two-input `Add`
    /// that follow any other convolution, each the one reader of the value
    /// before it, run on the convolution's output chunks (``convChains(_:readers:)``).
    /// A multi-head attention over embeddings projects table rows
    /// (``embeddingAttentionSteps(_:)``).
    func inferenceSteps() -> [InferenceStep] {
        var steps = [InferenceStep](repeating: .run, count: nodes.count)
        var readers = [[Int]](repeating: [], count: valueShapes.count)
        for (i, node) in nodes.enumerated() { for u in node.inputs { readers[u].append(i) } }
        // The one node reading node i's output (nil when none, several, or it is the logits).
        func soleReader(_ i: Int) -> Int? {
            let v = inputCount + i
            guard v != outputValue, readers[v].count == 1, let r = readers[v].first else { return nil }
            return nodes[r].inputs == [v] ? r : nil
        }
        for (e, node) in nodes.enumerated() {
            guard let embedding = node.op as? EmbeddingOp, node.inputs.count == 1, let c = soleReader(e),
                let conv = nodes[c].op as? ConvOp, !conv.depthwise, conv.options.groups == 1,
                let t = node.params[.embeddings], t < parameterShapes.count, let vocabulary = parameterShapes[t].first
            else { continue }
            let outPositions = max(1, valueShapes[inputCount + c].dropLast().reduce(1, *))
            var minRows = 1
            while !ConvOp.tablePays(vocabulary: vocabulary, positions: minRows * outPositions) { minRows *= 2 }
            var pool: Int?
            if let a = soleReader(c), let relu = nodes[a].op as? ActivationOp, relu.activation == .relu,
                let q = soleReader(a), let max = nodes[q].op as? GlobalPoolOp, max.kind == .max
            {
                pool = q
                steps[a] = .fused(minRows: minRows)
                steps[q] = .fused(minRows: minRows)
            }
            steps[e] = .fused(minRows: minRows)
            steps[c] = .embeddingConv(conv: conv, embedding: embedding, embeddingNode: e, pool: pool, minRows: minRows)
        }
        embeddingAttentionSteps(&steps)
        convChains(&steps, readers: readers)
        return steps
    }

    /// Marks each `MultiHeadAttention` whose query, value and key are all
    /// `Embedding` outputs to run from the ids (``InferenceStep/embeddingAttention(attention:embeddings:embeddingNodes:minRows:)``);
    /// an embedding that attention alone reads is then skipped.
    func embeddingAttentionSteps(_ steps: inout [InferenceStep]) {
        var readers = [[Int]](repeating: [], count: valueShapes.count)
        for (i, node) in nodes.enumerated() { for u in node.inputs { readers[u].append(i) } }
        for (a, node) in nodes.enumerated() {
            guard case .run = steps[a], let attention = node.op as? MultiHeadAttentionOp else { continue }
            var embeddings: [EmbeddingOp] = []
            var sources: [Int] = []
            var vocabulary = 0
            for u in node.inputs {
                let e = u - inputCount
                guard e >= 0, e < nodes.count, case .run = steps[e], let embedding = nodes[e].op as? EmbeddingOp,
                    nodes[e].inputs.count == 1, let t = nodes[e].params[.embeddings], t < parameterShapes.count,
                    let rows = parameterShapes[t].first
                else { break }
                embeddings.append(embedding)
                sources.append(e)
                vocabulary = max(vocabulary, rows)
            }
            guard sources.count == node.inputs.count, let positions = valueShapes[inputCount + a].first,
                positions > 0
            else { continue }
            var minRows = 1
            while !MultiHeadAttentionOp.tablesPay(vocabulary: vocabulary, positions: minRows * positions) {
                minRows *= 2
            }
            for e in Set(sources) where inputCount + e != outputValue && readers[inputCount + e].allSatisfy({ $0 == a })
            {
                steps[e] = .fused(minRows: minRows)
            }
            steps[a] = .embeddingAttention(
                attention: attention, embeddings: embeddings, embeddingNodes: sources, minRows: minRows)
        }
    }

    /// Marks each convolution still run as a layer whose output's one reader
    /// is a channel batch normalization, a relu or an `Add` of two values
    /// (the other computed before the convolution runs and written by its
    /// step) — and so on down the chain — as a ``InferenceStep/convChain(conv:epilogue:)``,
    /// the layers it takes in as fused.
    func convChains(_ steps: inout [InferenceStep], readers: [[Int]]) {
        for (c, node) in nodes.enumerated() {
            guard case .run = steps[c], let conv = node.op as? ConvOp, node.inputs.count == 1 else { continue }
            var stages: [ConvEpilogue.Stage] = []
            var chain: [Int] = []
            var last = c
            var added = false
            while true {
                let v = inputCount + last
                guard v != outputValue, readers[v].count == 1, let r = readers[v].first, case .run = steps[r] else {
                    break
                }
                let op = nodes[r].op
                let ins = nodes[r].inputs
                if ins == [v], let bn = op as? BatchNormalizationOp, bn.normalizesChannels(rank: valueShapes[v].count) {
                    stages.append(.batchNorm(node: r))
                } else if ins == [v], let a = op as? ActivationOp, a.activation == .relu {
                    stages.append(.relu)
                } else if !added, let merge = op as? MergeOp, merge.kind == .add, ins.count == 2,
                    let other = ins.first(where: { $0 != v }), other < inputCount + c, isWritten(other, steps)
                {
                    stages.append(.add(value: other))
                    added = true
                } else {
                    break
                }
                last = r
                chain.append(r)
            }
            guard !stages.isEmpty else { continue }
            for i in chain { steps[i] = .fused(minRows: 0) }
            steps[c] = .convChain(conv: conv, epilogue: ConvEpilogue(stages: stages, last: last))
        }
    }

    /// True when value `v` holds its values after the step that writes it:
    /// a model input, or a node's output no fused step skips.
    func isWritten(_ v: Int, _ steps: [InferenceStep]) -> Bool {
        guard v >= inputCount else { return true }
        let node = v - inputCount
        switch steps[node] {
        case .run: return true
        case .fused:
            // The last layer of a convolution's chain: the chain's step writes it.
            return steps.contains {
                if case .convChain(_, let epilogue) = $0 { return epilogue.last == node }
                return false
            }
        case .embeddingConv(_, _, _, let pool, _): return pool == nil
        case .convChain(_, let epilogue): return epilogue.last == node
        case .embeddingAttention: return true
        }
    }

    /// Runs every node on the model inputs already in `t.values[0..<inputCount]`
    /// by `steps` (``inferenceSteps()``): only the logits are meant to be
    /// read afterwards, values inside a fused step are not written.
    func runInference(_ t: inout Trace, steps: [InferenceStep]) {
        t.rows = t.values.first?.rows ?? 0
        var ins = t.nodeInputs
        t.nodeInputs = []
        for (i, node) in nodes.enumerated() {
            switch steps[i] {
            case .fused(let minRows) where t.rows >= minRows:
                continue
            case .convChain(let conv, let epilogue):
                runChain(conv, epilogue, node: i, &t)
            case .embeddingConv(let conv, let embedding, let e, let pool, let minRows) where t.rows >= minRows:
                let ids = t.values[nodes[e].inputs[0]]
                conv.forward(
                    ids: ids, embedding: embedding, table: params(of: nodes[e])[.embeddings], params(of: node),
                    reluMax: pool.map { valueShapes[inputCount + $0] },
                    output: &t.values[inputCount + (pool ?? i)], cache: &t.caches[i])
            case .embeddingAttention(let attention, let embeddings, let sources, let minRows) where t.rows >= minRows:
                attention.forward(
                    ids: sources.map { t.values[nodes[$0].inputs[0]] }, embeddings: embeddings,
                    tables: sources.map { params(of: nodes[$0])[.embeddings] }, params(of: node),
                    output: &t.values[inputCount + i], cache: &t.caches[i])
            default:
                for u in node.inputs { ins.append(t.values[u]) }
                node.op.forward(ins, params(of: node), output: &t.values[inputCount + i], cache: &t.caches[i])
                ins.removeAll(keepingCapacity: true)
            }
        }
        t.nodeInputs = ins
    }

    /// Runs convolution node `i` with `epilogue` on the trace's values,
    /// writing node `epilogue.last`'s value; the coefficients go into the
    /// convolution's `cache.hidden`.
    func runChain(_ conv: ConvOp, _ epilogue: ConvEpilogue, node i: Int, _ t: inout Trace) {
        let node = nodes[i]
        let p = params(of: node)
        var norms: [(scale: [Float], shift: [Float])] = []
        var addend: Batch?
        for stage in epilogue.stages {
            switch stage {
            case .batchNorm(let n):
                guard let bn = nodes[n].op as? BatchNormalizationOp else { continue }
                norms.append(bn.affine(params(of: nodes[n])))
            case .add(let v): addend = t.values[v]
            case .relu: break
            }
        }
        let x = t.values[node.inputs[0]]
        let channels = valueShapes[inputCount + i].last ?? 0
        epilogue.coefficients(
            bias: p.has(.bias) ? p[.bias] : nil, norms: norms, channels: channels, into: &t.caches[i].hidden)
        conv.forward(
            x, p, steps: epilogue.steps(hasBias: p.has(.bias)), addend: addend,
            output: &t.values[inputCount + epilogue.last], cache: &t.caches[i])
    }
}
