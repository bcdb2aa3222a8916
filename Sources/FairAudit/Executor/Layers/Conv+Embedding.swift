import Foundation

/// A convolution straight from the integer ids of the `Embedding` that
/// feeds it, for the forward pass alone (``Network/inferenceSteps()``):
/// no embedded sequence and no patch matrix. Every window tap reads one
/// embedding row, so the product of a row with a tap's kernel slice is
/// worked out once per table row instead of once per position:
///
/// `U[v, tap, o] = Σ_c E[v, c] · K[tap, c, o]` (one SGEMM per tap over the
/// `V × C` table), then `z[p, o] = b[o] + Σ_tap U[id(p, tap), tap, o]` over
/// the taps of position `p` inside the input (padding reads zeros: no term).
///
/// With `reluMax` the `relu` and `GlobalMaxPooling` that follow are folded in:
/// `y[o] = max(0, max_p z[p, o])` (relu is monotone, so it commutes with the
/// maximum), and `z` is never stored.
extension ConvOp {
    /// Whether the table pays for a batch: its `vocabulary` rows cost no
    /// more than the batch's `positions` patch rows (each costs `taps·C·out`).
    static func tablePays(vocabulary: Int, positions: Int) -> Bool { vocabulary <= positions }

    /// Writes the convolution (or with `reluMax`, its relu'd global maximum,
    /// shaped `pooledShape`) of `embedding`'s rows of `ids` into `output`.
    func forward(
        ids: Batch, embedding: EmbeddingOp, table: [Float], _ p: LayerParams, reluMax pooledShape: [Int]?,
        output: inout Batch, cache: inout LayerCache
    ) {
        let d = embedding.outputDim ?? 1
        let vocabulary = table.count / max(d, 1)
        let (g, _, out) = checkedPlan(ids.shape + [d], kernelCount: p[.kernel].count)
        let kernel = spatialFirst(p[.kernel], g, out)
        let taps = g.kh * g.kw
        if let pooledShape {
            output.resize(rows: ids.rows, shape: pooledShape)
        } else {
            output.resize(rows: ids.rows, shape: g.outputShape(rank: options.rank, channels: out))
        }
        let bias = p.has(.bias) ? p[.bias] : []
        // U's rows padded to whole SIMD4 lanes (zeros past `out`), then the bias, padded the same
        // way, then one position's outputs.
        let lanes = (out + 3) / 4 * 4
        let s = cache.scratch
        Buffers.resize(&s.patches, (vocabulary * taps + 2) * lanes)
        if s.idOffsets.count != ids.data.count { s.idOffsets = [Int](repeating: 0, count: ids.data.count) }
        guard vocabulary > 0, ids.data.count == ids.rows * g.inPositions, kernel.count == taps * d * out,
            bias.isEmpty || bias.count >= out
        else { return }
        // Where each id's rows of U start: the id's table row times `taps·lanes`.
        ids.data.withUnsafeBufferPointer { pi in
            s.idOffsets.withUnsafeMutableBufferPointer { po in
                for i in 0..<pi.count { po[i] = embedding.row(pi[i], rows: vocabulary) * taps * lanes }
            }
        }
        table.withUnsafeBufferPointer { pe in
            kernel.withUnsafeBufferPointer { pk in
                s.patches.withUnsafeMutableBufferPointer { pu in
                    guard let e = pe.baseAddress, let k = pk.baseAddress, let u = pu.baseAddress else { return }
                    if lanes != out { u.update(repeating: 0, count: pu.count) }
                    for tap in 0..<taps {
                        gemm(
                            transA: false, transB: false, m: vocabulary, n: out, k: d, a: e, lda: d,
                            b: k + tap * d * out, ldb: out, beta: 0, c: u + tap * lanes, ldc: taps * lanes)
                    }
                    let b = u + vocabulary * taps * lanes
                    for j in 0..<lanes { b[j] = j < out && !bias.isEmpty ? bias[j] : 0 }
                }
            }
        }
        s.idOffsets.withUnsafeBufferPointer { pi in
            s.patches.withUnsafeMutableBufferPointer { pu in
                output.data.withUnsafeMutableBufferPointer { po in
                    guard let offsets = pi.baseAddress, let u = pu.baseAddress, let o = po.baseAddress else { return }
                    let bias = u + vocabulary * taps * lanes
                    let z = bias + lanes  // one position's outputs when pooling
                    let pooled = pooledShape != nil
                    let sample = pooled ? out : g.outPositions * out
                    for n in 0..<ids.rows {
                        let xi = offsets + n * g.inPositions
                        let dst = o + n * sample
                        if pooled { dst.update(repeating: -.infinity, count: out) }
                        for oy in 0..<g.oh {
                            for ox in 0..<g.ow {
                                let zp = pooled ? z : dst + (oy * g.ow + ox) * out
                                var lane = 0
                                while lane + 16 <= out {  // one pass over the taps for 16 channels
                                    Self.position(
                                        SIMD16<Float>.self, oy, ox, lane: lane, ids: xi, table: u, bias: bias, g,
                                        lanes: lanes, into: zp, count: out - lane)
                                    lane += 16
                                }
                                while lane + 8 <= out {
                                    Self.position(
                                        SIMD8<Float>.self, oy, ox, lane: lane, ids: xi, table: u, bias: bias, g,
                                        lanes: lanes, into: zp, count: out - lane)
                                    lane += 8
                                }
                                while lane < out {
                                    Self.position(
                                        SIMD4<Float>.self, oy, ox, lane: lane, ids: xi, table: u, bias: bias, g,
                                        lanes: lanes, into: zp, count: out - lane)
                                    lane += 4
                                }
                                if pooled {
                                    for j in 0..<out {
                                        let v = z[j]
                                        dst[j] = v > dst[j] || v != v ? v : dst[j]  // a NaN wins, as in Keras
                                    }
                                }
                            }
                        }
                        if pooled { for j in 0..<out { dst[j] = dst[j] < 0 ? 0 : dst[j] } }
                    }
                }
            }
        }
    }

    /// Output channels `lane..<lane+V.count` of position `(oy, ox)`, summed in
    /// registers, `z = b + Σ_tap U[id, tap]` over the taps inside the input,
    /// the first `count` of them stored at `dst + lane`.
    @inline(__always)
    static func position<V: SIMD>(
        _: V.Type, _ oy: Int, _ ox: Int, lane: Int, ids xi: UnsafePointer<Int>, table u: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, _ g: ConvGeometry, lanes: Int, into dst: UnsafeMutablePointer<Float>, count: Int
    ) where V.Scalar == Float {
        var z = UnsafeRawPointer(bias + lane).loadUnaligned(as: V.self)
        let ul = u + lane
        let y0 = oy * g.sh - g.top
        let x0 = ox * g.sw - g.left
        if Im2Col.inside(g, oy, ox) {  // every tap inside the input: no bounds to check, taps in order
            var row = xi + y0 * g.w + x0
            var t = ul
            for _ in 0..<g.kh {
                var id = row
                for _ in 0..<g.kw {
                    z += UnsafeRawPointer(t + id.pointee).loadUnaligned(as: V.self)
                    id += g.dw
                    t += lanes
                }
                row += g.dh * g.w
            }
            store(z, to: dst + lane, count: count)
            return
        }
        for ky in 0..<g.kh {
            let iy = y0 + ky * g.dh
            guard iy >= 0, iy < g.h else { continue }
            let row = xi + iy * g.w
            for kx in 0..<g.kw {
                let ix = x0 + kx * g.dw
                guard ix >= 0, ix < g.w else { continue }
                z += UnsafeRawPointer(ul + row[ix] + (ky * g.kw + kx) * lanes).loadUnaligned(as: V.self)
            }
        }
        store(z, to: dst + lane, count: count)
    }

    /// The first `count` lanes of `v` (all when `count ≥ V.count`) at `p`.
    @inline(__always)
    static func store<V: SIMD>(_ v: V, to p: UnsafeMutablePointer<Float>, count: Int) where V.Scalar == Float {
        if count >= V.scalarCount {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        } else {
            for j in 0..<count { p[j] = v[j] }
        }
    }
}
