import Foundation

/// Attention whose query, value (and key) are each an `Embedding`'s output
/// straight from integer ids, for the forward pass alone
/// (``Network/inferenceSteps()``): every position's projection is a
/// function of its id alone, so each projection is worked out once per
/// table row instead of once per position,
///
/// `T_q = s (E_q W_q + b_q)`, `T_k = E_k W_k + b_k`, `T_v = E_v W_v + b_v`
/// (`s = 1/√key_dim`; one SGEMM each over the `V × d` table),
///
/// and `Q`, `K`, `V` are rows of those tables gathered by id — the same
/// sums as the projection of the gathered embeddings, in the same order
/// up to the GEMM's blocking. The attention and output projection then
/// run as in ``forward(_:_:output:cache:)``, with the same cache layout.
extension MultiHeadAttentionOp {
    /// Whether the tables pay for a batch: their `vocabulary` rows cost no
    /// more than the batch's `positions` projected rows.
    static func tablesPay(vocabulary: Int, positions: Int) -> Bool { vocabulary <= positions }

    /// The attention of `embeddings[k]`'s rows of `ids[k]` (query, value, and
    /// key when given, in the layer's input order) written into `output`.
    /// The tables are made in `cache.scratch.patches` each call, the ids' table rows in
    /// `cache.scratch.idOffsets`; the attention probabilities are not kept (nothing reads
    /// them after a forward pass for scores).
    func forward(
        ids: [Batch], embeddings: [EmbeddingOp], tables: [[Float]], _ p: LayerParams, output: inout Batch,
        cache: inout LayerCache
    ) {
        let dims = ids.indices.map { embeddings[$0].outputDim ?? 1 }
        let shapes = ids.indices.map { Batch(rows: ids[$0].rows, shape: ids[$0].shape + [dims[$0]], data: []) }
        let d = self.dims(shapes)
        let xk = ids.count > 2 ? 2 : 1
        let (qn, kn, _, out) = prepareForward(d, p, output: &output, cache: &cache)
        guard d.rows > 0, d.tq > 0, d.tv > 0 else { return }
        // (input, kernel, bias, width, scale, offset into `pre`) of the query, key and value.
        let parts: [(Int, ParameterRole, ParameterRole, Int, Float, Int)] = [
            (0, .queryKernel, .queryBias, d.qkWidth, scale, 0), (xk, .keyKernel, .keyBias, d.qkWidth, 1, qn),
            (1, .valueKernel, .valueBias, d.vWidth, 1, qn + kn),
        ]
        let vocabularies = ids.indices.map { tables[$0].count / max(dims[$0], 1) }
        let tableCount = parts.reduce(0) { $0 + vocabularies[$1.0] * $1.3 }
        let s = cache.scratch
        Buffers.resize(&s.patches, tableCount)
        for (k, x) in ids.enumerated() {
            guard vocabularies[k] > 0, x.rows == d.rows, x.shape.count == 1,
                x.data.count == x.rows * (k == 0 ? d.tq : d.tv)
            else { return }
        }
        // Each input's table row per position; an input of the same ids (and table size) as an
        // earlier one shares its rows.
        var first = [Int](repeating: 0, count: ids.count)
        var total = 0
        for k in ids.indices {
            if let j = (0..<k).first(where: { Self.same(ids[$0], ids[k]) && vocabularies[$0] == vocabularies[k] }) {
                first[k] = first[j]
            } else {
                first[k] = total
                total += ids[k].data.count
            }
        }
        if s.idOffsets.count < total { s.idOffsets = [Int](repeating: 0, count: total) }
        s.idOffsets.withUnsafeMutableBufferPointer { po in
            guard let rows = po.baseAddress else { return }
            for k in ids.indices where (0..<k).allSatisfy({ first[$0] != first[k] }) {
                let embedding = embeddings[k]
                let vocabulary = vocabularies[k]
                ids[k].data.withUnsafeBufferPointer { pi in
                    for (i, id) in pi.enumerated() { rows[first[k] + i] = embedding.row(id, rows: vocabulary) }
                }
            }
        }
        s.patches.withUnsafeMutableBufferPointer { pt in
            cache.pre.withUnsafeMutableBufferPointer { pre in
                s.idOffsets.withUnsafeBufferPointer { po in
                    guard let tb = pt.baseAddress, let q = pre.baseAddress, let rows = po.baseAddress else { return }
                    var table = tb
                    for (input, kernel, bias, width, alpha, offset) in parts {
                        let vocabulary = vocabularies[input]
                        tables[input].withUnsafeBufferPointer { pe in
                            p[kernel].withUnsafeBufferPointer { pk in
                                guard let e = pe.baseAddress, let k = pk.baseAddress, pk.count >= dims[input] * width
                                else { return }
                                let b = spec.useBias && p[bias].count >= width ? p[bias] : nil
                                b.withUnsafeOptionalBuffer { pb in
                                    AttentionKernels.project(
                                        e, rows: vocabulary, nIn: dims[input], nOut: width, kernel: k, bias: pb,
                                        alpha: alpha, into: table)
                                }
                            }
                        }
                        Self.gather(
                            rows: rows + first[input], count: ids[input].data.count, table: table, width: width,
                            into: q + offset)
                        table += vocabulary * width
                    }
                }
            }
        }
        cache.pre.withUnsafeBufferPointer { pre in
            cache.stats.withUnsafeMutableBufferPointer { probs in
                cache.hidden.withUnsafeMutableBufferPointer { c in
                    guard let q = pre.baseAddress, let pb = probs.baseAddress, let cb = c.baseAddress else { return }
                    AttentionKernels.attend(
                        q: q, k: q + qn, v: q + qn + kn, probs: pb, c: cb, d, keepProbabilities: false)
                }
            }
        }
        let context = Batch(rows: d.rows, shape: [d.tq, d.vWidth], data: cache.hidden)
        output.data.withUnsafeMutableBufferPointer { o in
            guard let ob = o.baseAddress else { return }
            Self.project(
                context, kernel: p[.outputKernel], bias: spec.useBias ? p[.outputBias] : nil, nOut: out, into: ob)
        }
    }

    /// True when `a` and `b` are one buffer of ids (the same storage: the same values).
    static func same(_ a: Batch, _ b: Batch) -> Bool {
        a.data.count == b.data.count
            && a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pa.baseAddress == $0.baseAddress }
            }
    }

    /// `out[i] = table[rows[i]]` (rows of `width`) for `i < count`.
    static func gather(
        rows: UnsafePointer<Int>, count: Int, table: UnsafePointer<Float>, width: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        if width == 16 {  // one register row each (a small transformer's width)
            for i in 0..<count {
                let row = UnsafeRawPointer(table + rows[i] &* 16).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(out + i &* 16).storeBytes(of: row, as: SIMD16<Float>.self)
            }
        } else {
            for i in 0..<count { (out + i &* width).update(from: table + rows[i] &* width, count: width) }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with the array's base address, or nil when there is no array.
    @inline(__always) func withUnsafeOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
