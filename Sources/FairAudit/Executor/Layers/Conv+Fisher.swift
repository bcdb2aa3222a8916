import Foundation

extension ConvOp {
    /// Per-sample gradients: the kernel's `g_n = Σ_{p ∈ n} P[p]ᵀ G[p]` (one
    /// GEMM per sample and group over that sample's patch rows, a chunk at
    /// a time), the bias's `Σ_{p ∈ n} G[p]`; `rows × count(role)`.
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        let count = p[role].count
        var out = [Float](repeating: 0, count: gradOut.rows * count)
        out.withUnsafeMutableBufferPointer { po in
            guard let o = po.baseAddress else { return }
            writeSampleGradients(gradOut, inputs[0], p, role: role, samples: 0..<gradOut.rows, into: o)
        }
        return out
    }

    /// `out[c, ·] += Σ_n w[n, c] g_n²`, the per-sample gradients made for a
    /// block of samples at a time (about 1 M values), squared, then one
    /// GEMM with that block's weights — exact, since each `g_n` is summed
    /// over every position before it is squared.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let rows = gradOut.rows
        for (k, role) in roles.enumerated() {
            let count = p[role].count
            guard count > 0, rows > 0 else { continue }
            let block = max(1, min(rows, (1 << 20) / count))
            var s = [Float](repeating: 0, count: block * count)
            var sq = [Double](repeating: 0, count: block * count)
            let wd = weights.weights.map(Double.init)
            s.withUnsafeMutableBufferPointer { ps in
                sq.withUnsafeMutableBufferPointer { pq in
                    wd.withUnsafeBufferPointer { pw in
                        guard let sb = ps.baseAddress, let qb = pq.baseAddress, let w = pw.baseAddress else { return }
                        var n0 = 0
                        while n0 < rows {
                            let n1 = min(n0 + block, rows)
                            writeSampleGradients(gradOut, inputs[0], p, role: role, samples: n0..<n1, into: sb)
                            let used = (n1 - n0) * count
                            // Squares rounded to float32 once, weighted and summed in double (as every layer's).
                            for i in 0..<used {
                                let v = sb[i] * sb[i]
                                qb[i] = Double(v)
                            }
                            dgemm(
                                transA: true, transB: false, m: weights.columns, n: count, k: n1 - n0,
                                a: w + n0 * weights.columns, lda: weights.columns, b: qb, ldb: count, c: out[k],
                                ldc: count)
                            n0 = n1
                        }
                    }
                }
            }
        }
    }

    /// Writes the per-sample gradients of `role` for `samples` into
    /// `dst` (`samples.count × count`, overwritten).
    func writeSampleGradients(
        _ gradOut: Batch, _ x: Batch, _ p: LayerParams, role: ParameterRole, samples: Range<Int>,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let count = p[role].count
        dst.update(repeating: 0, count: samples.count * count)
        let (g, groups, out) = checkedPlan(x.shape, kernelCount: p[.kernel].count)
        let per = g.outPositions
        gradOut.data.withUnsafeBufferPointer { pd in
            guard let ds = pd.baseAddress else { return }
            if role == .bias {
                for n in samples {
                    let o = dst + (n - samples.lowerBound) * count
                    let dn = ds + n * per * out
                    for q in 0..<per { for j in 0..<out { o[j] += dn[q * out + j] } }
                }
                return
            }
            guard role == .kernel else { return }
            let k = Im2Col.width(g)
            let kg = k / groups
            let og = out / groups
            let chunk = min(Im2Col.chunkRows(g), per)
            var col = [Float](repeating: 0, count: chunk * k)
            x.data.withUnsafeBufferPointer { px in
                col.withUnsafeMutableBufferPointer { pc in
                    guard let xs = px.baseAddress, let cs = pc.baseAddress else { return }
                    for n in samples {
                        let o = dst + (n - samples.lowerBound) * count
                        var q0 = n * per
                        while q0 < (n + 1) * per {
                            let q1 = min(q0 + chunk, (n + 1) * per)
                            Im2Col.gather(xs, g, groups: groups, range: q0..<q1, into: cs)
                            for gi in 0..<groups {
                                gemm(
                                    transA: true, transB: false, m: kg, n: og, k: q1 - q0, a: cs + gi * kg, lda: k,
                                    b: ds + q0 * out + gi * og, ldb: out, beta: 1, c: o + gi * og, ldc: out)
                            }
                            q0 = q1
                        }
                        if layout == .outIn {
                            let row = stored(Array(UnsafeBufferPointer(start: o, count: count)), g, out)
                            row.withUnsafeBufferPointer {
                                if let b = $0.baseAddress { o.update(from: b, count: count) }
                            }
                        }
                    }
                }
            }
        }
    }
}
