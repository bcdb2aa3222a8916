import Foundation

extension MultiHeadAttentionOp {
    /// The gradients at the projections' outputs: `dq` (of the unscaled
    /// query projection), `dk`, `dv`, and `dc` at the heads' contexts.
    struct Deltas {
        var dq: [Float], dk: [Float], dv: [Float], dc: [Float]
    }

    /// `dC = G W_oᵀ`, then the attention backward per sample and head.
    func deltas(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache) -> Deltas {
        var r = Deltas(dq: [], dk: [], dv: [], dc: [])
        writeDeltas(gradOut, inputs, p, cache: cache, into: &r)
        return r
    }

    /// ``deltas(_:_:_:cache:)`` into `r`, reusing its storage.
    func writeDeltas(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache, into r: inout Deltas) {
        let d = dims(inputs)
        let out = gradOut.lastAxis
        let qn = d.rows * d.tq * d.qkWidth
        let kn = d.rows * d.tv * d.qkWidth
        let vn = d.rows * d.tv * d.vWidth
        Buffers.resize(&r.dq, qn)
        Buffers.resize(&r.dk, kn)
        Buffers.resize(&r.dv, vn)
        Buffers.resize(&r.dc, d.rows * d.tq * d.vWidth)
        guard d.rows > 0, d.tq > 0, d.tv > 0, cache.pre.count >= qn + kn + vn else { return }
        gemm(
            gradOut.data, transA: false, p[.outputKernel], transB: true, m: d.rows * d.tq, n: d.vWidth, k: out,
            lda: out, ldb: out, into: &r.dc, beta: 0)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: AttentionKernels.loopScratchCount(d)) { sc in
            cache.pre.withUnsafeBufferPointer { pre in
                cache.stats.withUnsafeBufferPointer { probs in
                    r.dc.withUnsafeBufferPointer { dc in
                        r.dq.withUnsafeMutableBufferPointer { dq in
                            r.dk.withUnsafeMutableBufferPointer { dk in
                                r.dv.withUnsafeMutableBufferPointer { dv in
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
    }

    /// The deltas kept in the scratch (moved out: put them back with ``keep(_:in:)``).
    func takeDeltas(_ s: LayerScratch) -> Deltas {
        var r = Deltas(dq: [], dk: [], dv: [], dc: [])
        if s.inner.count == 4 {
            swap(&r.dq, &s.inner[0])
            swap(&r.dk, &s.inner[1])
            swap(&r.dv, &s.inner[2])
            swap(&r.dc, &s.inner[3])
        }
        return r
    }

    /// Puts deltas back into the scratch.
    func keep(_ r: Deltas, in s: LayerScratch) {
        s.inner = [r.dq, r.dk, r.dv, r.dc]
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

    /// `∂ℓ/∂x = δ Wᵀ` for the query, key and value projections (the key's
    /// added to the value's when the key is the value), the deltas kept for
    /// the Fisher accumulation that follows on the same gradient.
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let s = cache.scratch
        var r = takeDeltas(s)
        writeDeltas(gradOut, inputs, p, cache: cache, into: &r)
        let d = dims(inputs)
        let xk = key(inputs)
        // (input slot, delta, its width, kernel, accumulate into the slot)
        let separateKey = inputs.count > 2
        let parts: [(Int, KeyPath<Deltas, [Float]>, Int, ParameterRole, Bool)] = [
            (0, \.dq, d.qkWidth, .queryKernel, false), (1, \.dv, d.vWidth, .valueKernel, false),
            (separateKey ? 2 : 1, \.dk, d.qkWidth, .keyKernel, !separateKey),
        ]
        for (slot, path, nOut, kernel, add) in parts {
            let x = slot == 2 ? xk : inputs[slot]
            if !add { gradInputs[slot].resize(rows: x.rows, shape: x.shape) }
            gemm(
                r[keyPath: path], transA: false, p[kernel], transB: true, m: x.rows * x.positions, n: x.lastAxis,
                k: nOut, lda: nOut, ldb: nOut, into: &gradInputs[slot].data, beta: add ? 1 : 0)
            hasGradient[slot] = true
        }
        keep(r, in: s)
        s.markFresh(gradOut.data)
    }

    /// The deltas once for every role (those ``backwardInputs`` kept when
    /// fresh), then per projection: each sample's sum over positions,
    /// squared and added with the weights (``Dense/accumulateSharedSquares``).
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let s = cache.scratch
        var r = takeDeltas(s)
        if !s.reuses(gradOut.data) { writeDeltas(gradOut, inputs, p, cache: cache, into: &r) }
        for (x, delta, nOut, kernel, bias) in projections(gradOut, inputs, cache: cache, deltas: r) {
            let kOut = roles.firstIndex(of: kernel).map { out[$0] }
            let bOut = roles.firstIndex(of: bias).map { out[$0] }
            guard kOut != nil || bOut != nil else { continue }
            delta.withUnsafeBufferPointer { pd in
                guard let db = pd.baseAddress, pd.count >= x.rows * x.positions * nOut else { return }
                Dense.accumulateSharedSquares(
                    x: x, delta: db, nOut: nOut, layout: .inOut, kernel: kOut, bias: bOut, weights: weights,
                    scratch: &s.xRows)
            }
        }
        keep(r, in: s)
    }
}
