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
        if let inputDim, inputDim != t[0] {
            throw ShapeError("has input_dim \(inputDim) but its table has \(t[0]) rows")
        }
        if let outputDim, outputDim != t[1] {
            throw ShapeError("has output_dim \(outputDim) but its table has \(t[1]) columns")
        }
        return inputs[0] + [t[1]]
    }

    /// The table row of an id (rounded half away from zero), clamped to the
    /// table; clamped as a float first, so no id converts out of range.
    @inline(__always) func row(_ id: Float, rows: Int) -> Int {
        guard id.isFinite else { return 0 }
        return min(Int(min(max(id, 0), Float(rows - 1)) + 0.5), rows - 1)
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let ids = inputs[0]
        let table = p[.embeddings]
        let d = outputDim ?? 1
        let rows = table.count / max(d, 1)
        if output.shape.count != ids.shape.count + 1 || output.shape.last != d { output.shape = ids.shape + [d] }
        output.rows = ids.rows
        Buffers.resize(&output.data, ids.data.count * d)
        guard table.count >= rows * d, rows > 0 else { return }
        ids.data.withUnsafeBufferPointer { pi in
            table.withUnsafeBufferPointer { pt in
                output.data.withUnsafeMutableBufferPointer { po in
                    guard let t = pt.baseAddress, let o = po.baseAddress else { return }
                    if d >= 64 {
                        for (i, id) in pi.enumerated() {
                            (o + i * d).update(from: t + row(id, rows: rows) * d, count: d)
                        }
                    } else if d % 8 == 0 {  // rows of a few registers: copied through them, no call
                        for (i, id) in pi.enumerated() {
                            let src = UnsafeRawPointer(t + row(id, rows: rows) * d)
                            let dst = UnsafeMutableRawPointer(o + i * d)
                            for j in stride(from: 0, to: d * 4, by: 32) {
                                dst.storeBytes(
                                    of: src.loadUnaligned(fromByteOffset: j, as: SIMD8<Float>.self),
                                    toByteOffset: j, as: SIMD8<Float>.self)
                            }
                        }
                    } else {  // a few floats per id: a loop, not a memcpy call each
                        for (i, id) in pi.enumerated() {
                            let src = t + row(id, rows: rows) * d
                            let dst = o + i * d
                            for j in 0..<d { dst[j] = src[j] }
                        }
                    }
                }
            }
        }
    }

    /// No gradient flows into ids; `∂ℓ/∂E[k] = Σ_{positions with id k} g`.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard wantParams else { return ([nil], [:]) }
        let table = p[.embeddings]
        let d = outputDim ?? 1
        let rows = table.count / max(d, 1)
        var g = [Float](repeating: 0, count: table.count)
        for (i, id) in inputs[0].data.enumerated() {
            let r = row(id, rows: rows)
            for j in 0..<d { g[r * d + j] += gradOut.data[i * d + j] }
        }
        return ([nil], [.embeddings: g])
    }

    /// Per-sample scatter-adds, `rows × table size` (small tables only; the Fisher uses the sparse path).
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        let table = p[.embeddings]
        let d = outputDim ?? 1
        let rows = table.count / max(d, 1)
        let ids = inputs[0]
        let per = ids.width
        var out = [Float](repeating: 0, count: ids.rows * table.count)
        for n in 0..<ids.rows {
            for t in 0..<per {
                let i = n * per + t
                let r = row(ids.data[i], rows: rows)
                for j in 0..<d { out[n * table.count + r * d + j] += gradOut.data[i * d + j] }
            }
        }
        return out
    }

    /// Exact per-sample squares without a dense per-sample table: for each
    /// sample, the gradient rows of the distinct ids it holds (summed over
    /// the positions holding each id), squared, added with the weights.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        guard let k = roles.firstIndex(of: .embeddings) else { return }
        let table = p[.embeddings]
        let d = outputDim ?? 1
        let rows = table.count / max(d, 1)
        let ids = inputs[0]
        let per = ids.width
        let size = table.count
        let columns = weights.columns
        guard rows > 0, gradOut.data.count >= ids.data.count * d, weights.weights.count >= ids.rows * columns else {
            return
        }
        // slotOf[r]: where table row r's sum sits for the current sample (−1: none yet); rowOf[s]: the reverse.
        let s = cache.scratch
        if s.slotOf.count != rows { s.slotOf = [Int](repeating: -1, count: rows) }
        Buffers.resize(&s.xRows, per * d)
        if s.rowOf.count < per { s.rowOf = [Int](repeating: 0, count: per) }
        ids.data.withUnsafeBufferPointer { pi in
            gradOut.data.withUnsafeBufferPointer { pg in
                weights.weights.withUnsafeBufferPointer { pw in
                    s.xRows.withUnsafeMutableBufferPointer { pa in
                        s.slotOf.withUnsafeMutableBufferPointer { slotOf in
                            s.rowOf.withUnsafeMutableBufferPointer { rowOf in
                                guard let g = pg.baseAddress, let wts = pw.baseAddress, let acc = pa.baseAddress else {
                                    return
                                }
                                for n in 0..<ids.rows {
                                    var distinct = 0
                                    for t in 0..<per {
                                        let i = n * per + t
                                        let r = row(pi[i], rows: rows)
                                        var slot = slotOf[r]
                                        if slot < 0 {
                                            slot = distinct
                                            slotOf[r] = slot
                                            rowOf[slot] = r
                                            distinct += 1
                                            (acc + slot * d).update(repeating: 0, count: d)
                                        }
                                        let a = acc + slot * d
                                        let gi = g + i * d
                                        for j in 0..<d { a[j] += gi[j] }
                                    }
                                    for slot in 0..<distinct {
                                        let r = rowOf[slot]
                                        let a = acc + slot * d
                                        slotOf[r] = -1
                                        for c in 0..<columns {
                                            let w = wts[n * columns + c]
                                            guard w != 0 else { continue }
                                            let o = out[k] + c * size + r * d
                                            for j in 0..<d { o[j] += Double(w * (a[j] * a[j])) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
