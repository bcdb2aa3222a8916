import Foundation

/// Keras `SeparableConv1D/2D`: a depthwise convolution (`depthwise_kernel`
/// `(kh, kw, C, mult)`, the layer's strides, padding and dilation, no
/// bias) followed by a 1×1 convolution (`pointwise_kernel`
/// `(1, 1, C·mult, filters)`, `bias`). The depthwise output is kept in
/// the cache (`hidden`) for the backward pass.
struct SeparableConvOp: LayerOp {
    var options: SpatialOptions
    var useBias: Bool

    var className: String { "SeparableConv\(options.rank)D" }
    var roles: [ParameterRole] {
        useBias ? [.depthwiseKernel, .pointwiseKernel, .bias] : [.depthwiseKernel, .pointwiseKernel]
    }

    /// The depthwise stage.
    var depthwise: ConvOp {
        var o = options
        o.filters = nil
        return ConvOp(options: o, depthwise: true, useBias: false)
    }

    /// The pointwise stage: 1×1, stride 1, no padding.
    var pointwise: ConvOp {
        ConvOp(
            options: SpatialOptions(
                rank: options.rank, strides: [Int](repeating: 1, count: options.rank), filters: options.filters),
            useBias: useBias)
    }

    /// The parameters of each stage, under the role `kernel`.
    func stages(_ p: LayerParams) -> (LayerParams, LayerParams) {
        var d = LayerParams()
        var q = LayerParams()
        d.values[.kernel] = p[.depthwiseKernel]
        q.values[.kernel] = p[.pointwiseKernel]
        if p.has(.bias) { q.values[.bias] = p[.bias] }
        return (d, q)
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        let mid = try depthwise.outputShape(inputs, params: [.kernel: params[.depthwiseKernel] ?? []])
        var q: [ParameterRole: [Int]] = [.kernel: params[.pointwiseKernel] ?? []]
        if let b = params[.bias] { q[.bias] = b }
        return try pointwise.outputShape([mid], params: q)
    }

    /// The depthwise output kept by ``forward``.
    func middle(_ x: Batch, _ d: LayerParams, cache: LayerCache) -> Batch {
        let (g, _, out) = depthwise.checkedPlan(x.shape, kernelCount: d[.kernel].count)
        return Batch(rows: x.rows, shape: g.outputShape(rank: options.rank, channels: out), data: cache.hidden)
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let (d, q) = stages(p)
        var mid = Batch()
        var scratch = LayerCache()
        depthwise.forward(inputs, d, output: &mid, cache: &scratch)
        pointwise.forward([mid], q, output: &output, cache: &scratch)
        cache.hidden = mid.data
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let (d, q) = stages(p)
        let mid = middle(inputs[0], d, cache: cache)
        let (dMid, pointGrads) = pointwise.backward(
            gradOut, [mid], q, cache: LayerCache(), needInputs: true, wantParams: wantParams)
        guard let g = dMid.first ?? nil else { return ([nil], [:]) }
        let (dx, depthGrads) = depthwise.backward(
            g, inputs, d, cache: LayerCache(), needInputs: needInputs, wantParams: wantParams)
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            grads[.depthwiseKernel] = depthGrads[.kernel]
            grads[.pointwiseKernel] = pointGrads[.kernel]
            if useBias { grads[.bias] = pointGrads[.bias] }
        }
        return (dx, grads)
    }

    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        let (d, q) = stages(p)
        let mid = middle(inputs[0], d, cache: cache)
        switch role {
        case .pointwiseKernel: return pointwise.sampleGradients(gradOut, [mid], q, cache: LayerCache(), role: .kernel)
        case .bias: return pointwise.sampleGradients(gradOut, [mid], q, cache: LayerCache(), role: .bias)
        case .depthwiseKernel:
            let dMid = pointwise.backward(gradOut, [mid], q, cache: LayerCache(), needInputs: true, wantParams: false)
                .inputs
            guard let g = dMid.first ?? nil else { return [] }
            return depthwise.sampleGradients(g, inputs, d, cache: LayerCache(), role: .kernel)
        default: return []
        }
    }

    /// Each stage's exact per-sample squares (``ConvOp``), the depthwise
    /// stage fed the gradient that reaches the depthwise output.
    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let (d, q) = stages(p)
        let mid = middle(inputs[0], d, cache: cache)
        for (k, role) in roles.enumerated() {
            switch role {
            case .pointwiseKernel, .bias:
                pointwise.accumulateSquaredSampleGrads(
                    gradOut, [mid], q, cache: LayerCache(), roles: [role == .bias ? .bias : .kernel],
                    weights: weights, into: [out[k]])
            case .depthwiseKernel:
                let dMid = pointwise.backward(
                    gradOut, [mid], q, cache: LayerCache(), needInputs: true, wantParams: false
                ).inputs
                guard let g = dMid.first ?? nil else { continue }
                depthwise.accumulateSquaredSampleGrads(
                    g, inputs, d, cache: LayerCache(), roles: [.kernel], weights: weights, into: [out[k]])
            default: continue
            }
        }
    }
}
