import Foundation

/// A dense layer trained through low-rank factors, wrapping the ``DenseOp``
/// it replaces (as a LoRA adapter wraps a Linear): `a = f((x A) B + b)`,
/// `A` (`in × r`) and `B` (`r × out`) in×out whatever layout the frozen
/// original kernel has; the kernel stays, untouched, for write-back as `A·B`.
struct FactorizedDenseOp: LayerOp {
    var base: DenseOp
    var rank: Int
    var className: String { "Dense" }
    var roles: [ParameterRole] { base.useBias ? [.kernel, .factorA, .factorB, .bias] : [.kernel, .factorA, .factorB] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try base.outputShape(inputs, params: params)
    }

    /// The factors as a plain in×out dense layer's input/delta pairs use them.
    private var factorLayout: KernelLayout { .inOut }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let nIn = x.lastAxis
        let m = x.rows * x.positions
        let b = p[.factorB]
        let nOut = b.count / max(rank, 1)
        Dense.affine(
            x.data, rows: m, nIn: nIn, nOut: rank, kernel: p[.factorA], layout: .inOut, bias: nil, into: &cache.hidden)
        Dense.affine(
            cache.hidden, rows: m, nIn: rank, nOut: nOut, kernel: b, layout: .inOut,
            bias: base.useBias ? p[.bias] : nil, into: &cache.pre)
        output.resize(rows: x.rows, like: x.shape, last: nOut)
        Buffers.copy(cache.pre, into: &output.data)
        base.activation.applyInPlace(&output.data, width: nOut, slope: base.slope)
    }

    /// `H = X A` as a batch.
    private func hidden(_ x: Batch, _ cache: LayerCache) -> Batch {
        Batch(rows: x.rows, shape: Array(x.shape.dropLast()) + [rank], data: cache.hidden)
    }

    /// `Δ = g ⊙ f′(z)` and `∂ℓ/∂H = Δ Bᵀ`.
    private func deltas(
        _ gradOut: Batch, _ p: LayerParams, _ cache: LayerCache, rows m: Int
    ) -> (d: [Float], dh: [Float]) {
        let d = base.delta(gradOut, cache: cache)
        let nOut = gradOut.lastAxis
        var dh = [Float](repeating: 0, count: m * rank)
        gemm(
            d, transA: false, p[.factorB], transB: true, m: m, n: rank, k: nOut, lda: nOut, ldb: nOut, into: &dh,
            beta: 0)
        return (d, dh)
    }

    /// `dB = Hᵀ Δ`, `dA = Xᵀ dH`, `db = Σ Δ`, `dX = dH Aᵀ`.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        let nIn = x.lastAxis
        let nOut = gradOut.lastAxis
        let m = x.rows * x.positions
        let (d, dh) = deltas(gradOut, p, cache, rows: m)
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            var db = [Float](repeating: 0, count: rank * nOut)
            var da = [Float](repeating: 0, count: nIn * rank)
            gemm(
                cache.hidden, transA: true, d, transB: false, m: rank, n: nOut, k: m, lda: rank, ldb: nOut, into: &db,
                beta: 0)
            gemm(
                x.data, transA: true, dh, transB: false, m: nIn, n: rank, k: m, lda: nIn, ldb: rank, into: &da, beta: 0)
            grads[.factorA] = da
            grads[.factorB] = db
            if base.useBias { grads[.bias] = Dense.columnSums(d, rows: m, width: nOut) }
        }
        guard needInputs else { return ([nil], grads) }
        var dx = Batch(rows: x.rows, shape: x.shape, data: [Float](repeating: 0, count: m * nIn))
        gemm(
            dh, transA: false, p[.factorA], transB: true, m: m, n: nIn, k: rank, lda: rank, ldb: rank, into: &dx.data,
            beta: 0)
        return ([dx], grads)
    }

    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        let x = inputs[0]
        let (d, dh) = deltas(gradOut, p, cache, rows: x.rows * x.positions)
        switch role {
        case .factorA: return Dense.sampleGradients(dh, x: x, nOut: rank, layout: .inOut, role: .factorA)
        case .factorB, .bias:
            return Dense.sampleGradients(d, x: hidden(x, cache), nOut: gradOut.lastAxis, layout: .inOut, role: role)
        default: return []
        }
    }

    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let x = inputs[0]
        let (d, dh) = deltas(gradOut, p, cache, rows: x.rows * x.positions)
        for (k, role) in roles.enumerated() {
            switch role {
            case .factorA:
                Dense.accumulateSquares(
                    x: x, delta: dh, nOut: rank, layout: .inOut, roles: [.factorA], weights: weights, into: [out[k]])
            case .factorB, .bias:
                Dense.accumulateSquares(
                    x: hidden(x, cache), delta: d, nOut: gradOut.lastAxis, layout: .inOut, roles: [role],
                    weights: weights, into: [out[k]])
            default: break
            }
        }
    }
}
