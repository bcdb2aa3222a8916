import Foundation

/// Keras `Dense` (PyTorch `Linear`) on the last axis of any rank:
/// `a = f(x W + b)` for every position, `W` stored in×out (Keras) or out×in (PyTorch).
struct DenseOp: LayerOp {
    var units: Int?
    var layout: KernelLayout
    var activation: Activation
    var slope: Float
    var useBias: Bool

    var className: String { "Dense" }
    var roles: [ParameterRole] { useBias ? [.kernel, .bias] : [.kernel] }

    /// `(in, out)` of a stored kernel shape.
    func dims(_ kernel: [Int]) -> (nIn: Int, nOut: Int) {
        layout == .inOut ? (kernel[0], kernel[1]) : (kernel[1], kernel[0])
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard let k = params[.kernel], k.count == 2 else {
            throw ShapeError("its kernel has shape \(params[.kernel] ?? []), not 2-D")
        }
        let (nIn, nOut) = dims(k)
        if let units, units != nOut { throw ShapeError("has \(units) units but its kernel gives \(nOut)") }
        if let b = params[.bias], b.reduce(1, *) != nOut {
            throw ShapeError("its bias has \(b.reduce(1, *)) values, expected \(nOut)")
        }
        guard let last = inputs[0].last, last == nIn else {
            throw ShapeError(
                "takes \(nIn) inputs but the previous layer gives \(inputs[0].last.map(String.init) ?? "a scalar")")
        }
        return Array(inputs[0].dropLast()) + [nOut]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let nIn = x.lastAxis
        let kernel = p[.kernel]
        let nOut = kernel.count / max(nIn, 1)
        let m = x.rows * x.positions
        let bias = p.has(.bias) ? p[.bias] : nil
        output.resize(rows: x.rows, like: x.shape, last: nOut)
        switch activation {
        case .linear:  // z is the output; the backward never reads it
            Buffers.resize(&cache.pre, 0)
            Dense.affine(
                x.data, rows: m, nIn: nIn, nOut: nOut, kernel: kernel, layout: layout, bias: bias, into: &output.data)
        case .gelu:  // z kept for the backward, f(z) written from it in one pass
            Dense.affine(
                x.data, rows: m, nIn: nIn, nOut: nOut, kernel: kernel, layout: layout, bias: bias, into: &cache.pre)
            cache.pre.withUnsafeBufferPointer { pz in
                output.data.withUnsafeMutableBufferPointer { pa in
                    guard let z = pz.baseAddress, let a = pa.baseAddress, pa.count == pz.count else { return }
                    Activation.gelu(z, into: a, count: pz.count)
                }
            }
        default:
            Dense.affine(
                x.data, rows: m, nIn: nIn, nOut: nOut, kernel: kernel, layout: layout, bias: bias, into: &cache.pre)
            Buffers.copy(cache.pre, into: &output.data)
            activation.applyInPlace(&output.data, width: nOut, slope: slope)
        }
    }

    /// `δ = g ⊙ f′(z)`.
    func delta(_ gradOut: Batch, cache: LayerCache) -> [Float] {
        activation.backward(gradOut.data, z: cache.pre, width: gradOut.lastAxis, slope: slope)
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        let nIn = x.lastAxis
        let nOut = gradOut.lastAxis
        let m = x.rows * x.positions
        let d = delta(gradOut, cache: cache)
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            var dw = [Float](repeating: 0, count: nIn * nOut)
            if layout == .inOut {
                gemm(
                    x.data, transA: true, d, transB: false, m: nIn, n: nOut, k: m, lda: nIn, ldb: nOut, into: &dw,
                    beta: 0)
            } else {
                gemm(
                    d, transA: true, x.data, transB: false, m: nOut, n: nIn, k: m, lda: nOut, ldb: nIn, into: &dw,
                    beta: 0)
            }
            grads[.kernel] = dw
            if useBias { grads[.bias] = Dense.columnSums(d, rows: m, width: nOut) }
        }
        guard needInputs else { return ([nil], grads) }
        var dx = Batch(rows: x.rows, shape: x.shape, data: [Float](repeating: 0, count: m * nIn))
        gemm(
            d, transA: false, p[.kernel], transB: layout == .inOut, m: m, n: nIn, k: nOut,
            lda: nOut, ldb: layout == .inOut ? nOut : nIn, into: &dx.data, beta: 0)
        return ([dx], grads)
    }

    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        Dense.sampleGradients(
            delta(gradOut, cache: cache), x: inputs[0], nOut: gradOut.lastAxis, layout: layout, role: role)
    }

    /// One outer product per sample (rank-2 input): the squared-GEMM
    /// identity `Σ_n w_nc (x_n ⊗ δ_n)² = (X∘X)ᵀ (w_c ∘ Δ∘Δ)`, one GEMM per
    /// column. Shared over positions (rank ≥ 3): per-sample sums first.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let s = cache.scratch
        if !s.reuses(gradOut.data) { writeDelta(gradOut, cache: cache, into: &s.delta) }
        Dense.accumulateSquares(
            x: inputs[0], delta: s.delta, nOut: gradOut.lastAxis, layout: layout, roles: roles,
            weights: weights, into: out)
    }

    /// `d ← g ⊙ f′(z)`, reusing `d`'s storage.
    func writeDelta(_ gradOut: Batch, cache: LayerCache, into d: inout [Float]) {
        Buffers.copy(gradOut.data, into: &d)
        activation.backwardInPlace(&d, z: cache.pre, width: gradOut.lastAxis, slope: slope)
    }

    /// `∂ℓ/∂x = δ Wᵀ` into the reused batch, `δ` kept in the scratch for the
    /// Fisher accumulation that follows on the same gradient.
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let x = inputs[0]
        let nIn = x.lastAxis
        let nOut = gradOut.lastAxis
        let m = x.rows * x.positions
        let s = cache.scratch
        writeDelta(gradOut, cache: cache, into: &s.delta)
        s.markFresh(gradOut.data)  // the Fisher accumulation that follows reuses δ
        gradInputs[0].resize(rows: x.rows, shape: x.shape)
        gemm(
            s.delta, transA: false, p[.kernel], transB: layout == .inOut, m: m, n: nIn, k: nOut,
            lda: nOut, ldb: layout == .inOut ? nOut : nIn, into: &gradInputs[0].data, beta: 0)
        hasGradient[0] = true
    }
}
