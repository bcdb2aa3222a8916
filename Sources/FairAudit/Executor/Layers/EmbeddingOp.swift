import Foundation

/// Keras `Embedding`: integer ids `(…)` → rows of the `embeddings` table
/// `(input_dim × output_dim)`, shape `(…, output_dim)`. Ids are checked
/// before the forward pass (``Network/checkEmbeddingIds``); one that slips
/// through is clamped, never read out of bounds.
struct EmbeddingOp: LayerOp {
    var inputDim: Int?
    var outputDim: Int?
    var className: String { "Embedding" }
    var roles: [ParameterRole] { [.embeddings] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard let t = params[.embeddings], t.count == 2 else { throw ShapeError("its embeddings table is not 2-D") }
        if let inputDim, inputDim != t[0] { throw ShapeError("has input_dim \(inputDim) but its table has \(t[0]) rows") }
        if let outputDim, outputDim != t[1] { throw ShapeError("has output_dim \(outputDim) but its table has \(t[1]) columns") }
        return inputs[0] + [t[1]]
    }

    /// The table row of an id, clamped to the table.
    @inline(__always) func row(_ id: Float, rows: Int) -> Int {
        guard id.isFinite else { return 0 }
        return min(max(Int(id.rounded()), 0), rows - 1)
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let ids = inputs[0], table = p[.embeddings]
        let d = outputDim ?? 1, rows = table.count / max(d, 1)
        output.resize(rows: ids.rows, shape: ids.shape + [d])
        for (i, id) in ids.data.enumerated() {
            let r = row(id, rows: rows)
            for j in 0..<d { output.data[i * d + j] = table[r * d + j] }
        }
    }

    /// No gradient flows into ids; `∂ℓ/∂E[k] = Σ_{positions with id k} g`.
    func backward(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                  needInputs: Bool, wantParams: Bool) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard wantParams else { return ([nil], [:]) }
        let table = p[.embeddings], d = outputDim ?? 1, rows = table.count / max(d, 1)
        var g = [Float](repeating: 0, count: table.count)
        for (i, id) in inputs[0].data.enumerated() {
            let r = row(id, rows: rows)
            for j in 0..<d { g[r * d + j] += gradOut.data[i * d + j] }
        }
        return ([nil], [.embeddings: g])
    }

    /// Per-sample scatter-adds, `rows × table size` (small tables only; the Fisher uses the sparse path).
    func sampleGradients(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                         role: ParameterRole) -> [Float] {
        let table = p[.embeddings], d = outputDim ?? 1, rows = table.count / max(d, 1)
        let ids = inputs[0], per = ids.width
        var out = [Float](repeating: 0, count: ids.rows * table.count)
        for n in 0..<ids.rows {
            for t in 0..<per {
                let i = n * per + t, r = row(ids.data[i], rows: rows)
                for j in 0..<d { out[n * table.count + r * d + j] += gradOut.data[i * d + j] }
            }
        }
        return out
    }

    /// Exact per-sample squares without a dense per-sample table: for each
    /// sample, the gradient rows of the distinct ids it holds (summed over
    /// the positions holding each id), squared, added with the weights.
    func accumulateSquaredSampleGrads(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                                      roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]) {
        guard let k = roles.firstIndex(of: .embeddings) else { return }
        let table = p[.embeddings], d = outputDim ?? 1, rows = table.count / max(d, 1)
        let ids = inputs[0], per = ids.width, size = table.count
        var sums: [Int: [Float]] = [:]
        for n in 0..<ids.rows {
            sums.removeAll(keepingCapacity: true)
            for t in 0..<per {
                let i = n * per + t, r = row(ids.data[i], rows: rows)
                var v = sums[r] ?? [Float](repeating: 0, count: d)
                for j in 0..<d { v[j] += gradOut.data[i * d + j] }
                sums[r] = v
            }
            for (r, v) in sums {
                for c in 0..<weights.columns {
                    let w = weights.weights[n * weights.columns + c]
                    guard w != 0 else { continue }
                    let o = out[k] + c * size + r * d
                    for j in 0..<d { o[j] += Double(w * (v[j] * v[j])) }
                }
            }
        }
    }
}
