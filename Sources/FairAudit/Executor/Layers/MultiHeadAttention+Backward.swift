import Foundation

extension MultiHeadAttentionOp {
    /// The gradients at the projections' outputs: `dq` (of the unscaled
    /// query projection), `dk`, `dv`, and `dc` at the heads' contexts.
    struct Deltas {
        var dq: [Float], dk: [Float], dv: [Float], dc: [Float]
    }

    /// `dC = G W_oᵀ`, then the attention backward per sample and head.
    func deltas(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache) -> Deltas {
        let d = dims(inputs)
        let out = gradOut.lastAxis
        let qn = d.rows * d.tq * d.qkWidth
        let kn = d.rows * d.tv * d.qkWidth
        let vn = d.rows * d.tv * d.vWidth
        var r = Deltas(
            dq: [Float](repeating: 0, count: qn), dk: [Float](repeating: 0, count: kn),
            dv: [Float](repeating: 0, count: vn), dc: [Float](repeating: 0, count: d.rows * d.tq * d.vWidth))
        guard d.rows > 0, d.tq > 0, d.tv > 0, cache.pre.count >= qn + kn + vn else { return r }
        gemm(
            gradOut.data, transA: false, p[.outputKernel], transB: true, m: d.rows * d.tq, n: d.vWidth, k: out,
            lda: out, ldb: out, into: &r.dc, beta: 0)
        var scratch = [Float](repeating: 0, count: d.tq * d.tv)
        cache.pre.withUnsafeBufferPointer { pre in
            cache.stats.withUnsafeBufferPointer { probs in
                r.dc.withUnsafeBufferPointer { dc in
                    r.dq.withUnsafeMutableBufferPointer { dq in
                        r.dk.withUnsafeMutableBufferPointer { dk in
                            r.dv.withUnsafeMutableBufferPointer { dv in
                                scratch.withUnsafeMutableBufferPointer { sc in
                                    guard let q = pre.baseAddress, let pb = probs.baseAddress, let dcb = dc.baseAddress,
                                        let dqb = dq.baseAddress, let dkb = dk.baseAddress, let dvb = dv.baseAddress,
                                        let s = sc.baseAddress
                                    else { return }
                                    AttentionKernels.backward(
                                        dc: dcb, q: q, k: q + qn, v: q + qn + kn, probs: pb, scale: scale,
                                        dq: dqb, dk: dkb, dv: dvb, scratch: s, d)
                                }
                            }
                        }
                    }
                }
            }
        }
        return r
    }

    /// Each projection: its input, its gradient at the output, its width, and its kernel and bias roles.
    func projections(
        _ gradOut: Batch, _ inputs: [Batch], cache: LayerCache, deltas r: Deltas
    )
        -> [(x: Batch, delta: [Float], nOut: Int, kernel: ParameterRole, bias: ParameterRole)]
    {
        let d = dims(inputs)
        let context = Batch(rows: d.rows, shape: [d.tq, d.vWidth], data: cache.hidden)
        return [
            (inputs[0], r.dq, d.qkWidth, .queryKernel, .queryBias),
            (key(inputs), r.dk, d.qkWidth, .keyKernel, .keyBias),
            (inputs[1], r.dv, d.vWidth, .valueKernel, .valueBias),
            (context, gradOut.data, gradOut.lastAxis, .outputKernel, .outputBias),
        ]
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let r = deltas(gradOut, inputs, p, cache: cache)
        let proj = projections(gradOut, inputs, cache: cache, deltas: r)
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            for (x, delta, nOut, kernel, bias) in proj {
                let nIn = x.lastAxis
                let m = x.rows * x.positions
                var dw = [Float](repeating: 0, count: nIn * nOut)
                gemm(
                    x.data, transA: true, delta, transB: false, m: nIn, n: nOut, k: m, lda: nIn, ldb: nOut, into: &dw,
                    beta: 0)
                grads[kernel] = dw
                if spec.useBias { grads[bias] = Dense.columnSums(delta, rows: m, width: nOut) }
            }
        }
        guard needInputs else { return (inputs.map { _ in nil }, grads) }
        // dx = δ Wᵀ for the query, key and value projections.
        let dx = proj.prefix(3).map { x, delta, nOut, kernel, _ -> Batch in
            var g = Batch(rows: x.rows, shape: x.shape, data: [Float](repeating: 0, count: x.data.count))
            gemm(
                delta, transA: false, p[kernel], transB: true, m: x.rows * x.positions, n: x.lastAxis, k: nOut,
                lda: nOut, ldb: nOut, into: &g.data, beta: 0)
            return g
        }
        if inputs.count > 2 { return ([dx[0], dx[2], dx[1]], grads) }
        var value = dx[2]
        Buffers.add(dx[1].data, into: &value.data)  // the key is the value
        return ([dx[0], value], grads)
    }

    /// Per-sample gradients of one projection's kernel or bias: the sum
    /// over positions `Σ_t x_{n,t} ⊗ δ_{n,t}` (one GEMM per sample) or `Σ_t δ_{n,t}`.
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        let r = deltas(gradOut, inputs, p, cache: cache)
        return Self.sampleGradients(projections(gradOut, inputs, cache: cache, deltas: r), role: role)
    }

    static func sampleGradients(
        _ proj: [(x: Batch, delta: [Float], nOut: Int, kernel: ParameterRole, bias: ParameterRole)],
        role: ParameterRole
    ) -> [Float] {
        for (x, delta, nOut, kernel, bias) in proj where role == kernel || role == bias {
            return Dense.sampleGradients(
                delta, x: x, nOut: nOut, layout: .inOut, role: role == kernel ? .kernel : .bias)
        }
        return []
    }

    /// The deltas once for every role, then per role: per-sample sums over
    /// positions, squared, one GEMM with the weights.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let proj = projections(gradOut, inputs, cache: cache, deltas: deltas(gradOut, inputs, p, cache: cache))
        for (k, role) in roles.enumerated() {
            Self.addWeightedSquares(
                Self.sampleGradients(proj, role: role), rows: gradOut.rows, weights: weights, into: out[k])
        }
    }
}
