import Foundation

/// What the forward pass keeps for the backward pass: every value and each
/// node's cache; buffers are reused batch after batch.
struct Trace {
    var rows = 0
    /// Model inputs, then each node's output.
    var values: [Batch]
    var caches: [LayerCache]

    init(network: Network) {
        values = Array(repeating: Batch(), count: network.valueShapes.count)
        caches = Array(repeating: LayerCache(), count: network.nodes.count)
    }
}

extension Network {
    /// Splits row-major features (`rows × inputWidth`, the model inputs'
    /// values side by side) into one batch per model input.
    func inputBatches(_ features: [Float], rows: Int) -> [Batch] {
        if inputCount == 1 { return [Batch(rows: rows, shape: valueShapes[0], data: features)] }
        let widths = inputShapes.map { $0.reduce(1, *) }
        var out = inputShapes.map { Batch(rows: rows, shape: $0, data: []) }
        for i in out.indices { out[i].data.reserveCapacity(rows * widths[i]) }
        for r in 0..<rows {
            var offset = r * inputWidth
            for i in out.indices {
                out[i].data.append(contentsOf: features[offset..<(offset + widths[i])])
                offset += widths[i]
            }
        }
        return out
    }

    /// Runs every node on the model inputs already in `t.values[0..<inputCount]`.
    func runForward(_ t: inout Trace) {
        t.rows = t.values.first?.rows ?? 0
        for (i, node) in nodes.enumerated() {
            let ins = node.inputs.map { t.values[$0] }
            let v = inputCount + i
            node.op.forward(ins, params(of: node), output: &t.values[v], cache: &t.caches[i])
        }
    }

    /// A trace of `rows` rows of row-major `features`.
    func forwardTrace(_ features: [Float], rows: Int) -> Trace {
        var t = Trace(network: self)
        for (i, b) in inputBatches(features, rows: rows).enumerated() { t.values[i] = b }
        runForward(&t)
        return t
    }

    /// The logits (`rows × outputWidth`) of `t`.
    func logits(_ t: Trace) -> [Float] { t.values[outputValue].data }

    /// The logits (`rows × outputWidth`) of `rows` rows of `x`, in chunks of `chunk` rows.
    func logits(_ x: [Float], rows: Int, chunk: Int = 4096) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows * outputWidth)
        var trace = Trace(network: self)
        var start = 0
        while start < rows {
            let n = min(chunk, rows - start)
            for (i, b) in inputBatches(Array(x[(start * inputWidth)..<((start + n) * inputWidth)]), rows: n).enumerated() {
                trace.values[i] = b
            }
            runForward(&trace)
            out.append(contentsOf: logits(trace))
            start += n
        }
        return out
    }

    /// The positive-class probability for each of `rows` rows of `features`
    /// (row-major, `inputWidth` per row): the sigmoid output of a sigmoid
    /// head, `p(class 1)` of a 2-way softmax, `σ(z)` of a single logit.
    /// Batches run on two threads.
    public func predictScores(features: [Float], rows: Int, batchSize: Int = 512) throws -> [Float] {
        try checkInput(features: features, rows: rows)
        let parts = parallelRanges(rows: rows, parts: rows >= 2 * 256 ? 2 : 1)
        let batch = max(1, batchSize)
        let results = parallelMap(parts.count) { p -> [Float] in
            let range = parts[p]
            let z = logits(Array(features[(range.lowerBound * inputWidth)..<(range.upperBound * inputWidth)]),
                           rows: range.count, chunk: batch)
            return loss.positive(z, rows: range.count)
        }
        return results.flatMap { $0 }
    }

    /// Checks `features` holds `rows × inputWidth` values.
    func checkInput(features: [Float], rows: Int) throws {
        guard rows >= 0, features.count == rows * inputWidth else {
            throw FairAuditError.unsupportedModel(reason:
                "the model takes \(inputWidth) inputs per row but got \(features.count) values for \(rows) rows")
        }
        try checkEmbeddingIds(features: features, rows: rows)
    }
}
