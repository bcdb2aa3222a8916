import Foundation

/// What the forward pass keeps for the backward pass: every value and each
/// node's cache. One trace per thread serves batch after batch: its
/// buffers are resized in place, so a batch of a size seen before
/// allocates nothing.
struct Trace {
    var rows = 0
    /// Model inputs, then each node's output.
    var values: [Batch]
    var caches: [LayerCache]
    /// The inputs handed to one node, reused (emptied after each call so
    /// that no value's storage is shared when its producer next writes it).
    var nodeInputs: [Batch] = []

    init(network: Network) {
        values = Array(repeating: Batch(), count: network.valueShapes.count)
        caches = network.nodes.map { _ in LayerCache() }  // each node its own scratch
        nodeInputs.reserveCapacity(4)
    }
}

extension Network {
    /// Splits row-major features (`rows × inputWidth`, the model inputs'
    /// values side by side) into one batch per model input.
    func inputBatches(_ features: [Float], rows: Int) -> [Batch] {
        var t = Trace(network: self)
        features.withUnsafeBufferPointer { f in loadInputs(f, count: rows, row: { $0 }, into: &t) }
        return Array(t.values.prefix(inputCount))
    }

    /// Copies `count` rows of row-major features (row `r` of the batch is
    /// row `row(r)` of `features`) into the trace's input batches, reusing
    /// their storage.
    @inline(__always)
    func loadInputs(_ features: UnsafeBufferPointer<Float>, count n: Int, row: (Int) -> Int, into t: inout Trace) {
        guard let src = features.baseAddress else {
            for i in 0..<inputCount { t.values[i].resize(rows: n, shape: valueShapes[i]) }
            return
        }
        var offset = 0
        let stride = inputWidth
        for i in 0..<inputCount {
            t.values[i].resize(rows: n, shape: valueShapes[i])
            let w = t.values[i].width
            t.values[i].data.withUnsafeMutableBufferPointer { d in
                guard let dst = d.baseAddress else { return }
                if inputCount == 1 && w == stride {
                    for r in 0..<n { (dst + r * w).update(from: src + row(r) * stride, count: w) }
                } else {
                    for r in 0..<n { (dst + r * w).update(from: src + row(r) * stride + offset, count: w) }
                }
            }
            offset += w
        }
    }

    /// Runs every node on the model inputs already in `t.values[0..<inputCount]`.
    func runForward(_ t: inout Trace) {
        t.rows = t.values.first?.rows ?? 0
        var ins = t.nodeInputs
        t.nodeInputs = []
        for (i, node) in nodes.enumerated() {
            for u in node.inputs { ins.append(t.values[u]) }
            node.op.forward(ins, params(of: node), output: &t.values[inputCount + i], cache: &t.caches[i])
            ins.removeAll(keepingCapacity: true)
        }
        t.nodeInputs = ins
    }

    /// A trace of `rows` rows of row-major `features`.
    func forwardTrace(_ features: [Float], rows: Int) -> Trace {
        var t = Trace(network: self)
        features.withUnsafeBufferPointer { f in loadInputs(f, count: rows, row: { $0 }, into: &t) }
        runForward(&t)
        return t
    }

    /// The logits (`rows × outputWidth`) of `t`.
    func logits(_ t: Trace) -> [Float] { t.values[outputValue].data }

    /// The logits (`rows × outputWidth`) of `rows` rows of `x`, in chunks of `chunk` rows.
    func logits(_ x: [Float], rows: Int, chunk: Int = 4096) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outputWidth)
        var trace = Trace(network: self)
        x.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in
                logits(f, rows: 0..<rows, chunk: chunk, trace: &trace, into: o)
            }
        }
        return out
    }

    /// Writes the logits of rows `range` of `features` to `out` (`range.count ×
    /// outputWidth`), `chunk` rows at a time through `trace` (the forward
    /// pass for scores alone, ``runInference(_:steps:)``: `trace` holds the
    /// logits afterwards, not every value).
    func logits(
        _ features: UnsafeBufferPointer<Float>, rows range: Range<Int>, chunk: Int, trace: inout Trace,
        into out: UnsafeMutableBufferPointer<Float>
    ) {
        var start = range.lowerBound
        let step = max(1, chunk)
        let width = outputWidth
        let steps = inferenceSteps()
        while start < range.upperBound {
            let n = min(step, range.upperBound - start)
            let first = start
            loadInputs(features, count: n, row: { first + $0 }, into: &trace)
            runInference(&trace, steps: steps)
            trace.values[outputValue].data.withUnsafeBufferPointer { z in
                guard let zb = z.baseAddress, let ob = out.baseAddress else { return }
                (ob + (first - range.lowerBound) * width).update(from: zb, count: min(n * width, z.count))
            }
            start += n
        }
    }

    /// Rows per batch of a forward pass when the caller names none: as many as
    /// keep a batch's values (every node's output and about as much again in
    /// caches) within 1 MiB, a core's second-level cache, between 32 and 512.
    /// A transformer block's per-row values are wide (every position's
    /// projections, scores, hidden units); at 512 rows each of its passes
    /// streamed its operands from the shared cache, about a fifth slower.
    var forwardBatchRows: Int {
        let floats = valueShapes.reduce(0) { $0 + $1.reduce(1, *) }
        return min(512, max(32, (1 << 20) / max(1, 8 * floats)))
    }

    /// The positive-class probability for each of `rows` rows of `features`
    /// (row-major, `inputWidth` per row): the sigmoid output of a sigmoid
    /// head, `p(class 1)` of a 2-way softmax, `σ(z)` of a single logit.
    /// Batches (``forwardBatchRows`` rows unless `batchSize` is given) run on
    /// two threads, each through its own trace.
    public func predictScores(features: [Float], rows: Int, batchSize: Int? = nil) throws -> [Float] {
        try checkInput(features: features, rows: rows)
        let parts = parallelRanges(rows: rows, parts: rows >= 2 * 256 ? 2 : 1)
        let batch = max(1, batchSize ?? forwardBatchRows)
        let results = parallelMap(parts.count) { p -> [Float] in
            let range = parts[p]
            var z = [Float](repeating: 0, count: range.count * outputWidth)
            var trace = Trace(network: self)
            features.withUnsafeBufferPointer { f in
                z.withUnsafeMutableBufferPointer { o in logits(f, rows: range, chunk: batch, trace: &trace, into: o) }
            }
            return loss.positive(z, rows: range.count)
        }
        return results.flatMap { $0 }
    }

    /// Checks `features` holds `rows × inputWidth` values.
    func checkInput(features: [Float], rows: Int) throws {
        guard rows >= 0, features.count == rows * inputWidth else {
            throw FairAuditError.unsupportedModel(
                reason:
                    "the model takes \(inputWidth) inputs per row but got \(features.count) values for \(rows) rows")
        }
        try checkEmbeddingIds(features: features, rows: rows)
    }
}
