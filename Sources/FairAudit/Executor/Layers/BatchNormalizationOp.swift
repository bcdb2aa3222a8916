import Foundation

/// Keras `BatchNormalization` at inference on any axis:
/// `y = γ (x − μ) / √(σ² + ε) + β` with the moving statistics μ, σ².
struct BatchNormalizationOp: LayerOp {
    /// Keras axes (counting the batch axis); default `[-1]`.
    var axes: [Int] = [-1]
    var epsilon: Float
    var className: String { "BatchNormalization" }
    var roles: [ParameterRole] { [.gamma, .beta, .movingMean, .movingVariance] }

    func map(_ shape: [Int]) -> AxisMap {
        AxisMap(shape: shape, axes: AxisMap.sampleAxes(axes, rank: shape.count) ?? [max(shape.count - 1, 0)])
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard let a = AxisMap.sampleAxes(axes, rank: inputs[0].count) else {
            throw ShapeError("axis \(axes) is outside an input of shape \(inputs[0])")
        }
        let n = a.map { inputs[0][$0] }.reduce(1, *)
        guard params[.movingMean] != nil, params[.movingVariance] != nil else { throw ShapeError("lacks moving_mean or moving_variance") }
        for (role, s) in params where s.reduce(1, *) != n {
            throw ShapeError("its \(role.rawValue) has \(s.reduce(1, *)) values for \(n) features")
        }
        return inputs[0]
    }

    /// `γ / √(σ² + ε)` per feature, and the `x̂` scale `1 / √(σ² + ε)`.
    func scales(_ p: LayerParams) -> (inv: [Float], gain: [Float]) {
        let inv = p[.movingVariance].map { 1 / ($0 + epsilon).squareRoot() }
        let gamma = p[.gamma]
        return (inv, inv.indices.map { inv[$0] * (gamma.isEmpty ? 1 : gamma[$0]) })
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0], m = map(x.shape), w = x.width
        let (inv, _) = scales(p)
        let mean = p[.movingMean], pc = m.paramCount
        let gamma = p.has(.gamma) ? p[.gamma] : [Float](repeating: 1, count: pc)
        let beta = p.has(.beta) ? p[.beta] : [Float](repeating: 0, count: pc)
        Buffers.resize(&cache.pre, x.data.count)
        output.resize(rows: x.rows, shape: x.shape)
        guard mean.count == pc, inv.count == pc, gamma.count == pc, beta.count == pc, m.param.count == w else { return }
        x.data.withUnsafeBufferPointer { px in
            cache.pre.withUnsafeMutableBufferPointer { ph in
                output.data.withUnsafeMutableBufferPointer { po in
                    m.param.withUnsafeBufferPointer { pm in
                        guard let xs = px.baseAddress, let hs = ph.baseAddress, let os = po.baseAddress, let js = pm.baseAddress else { return }
                        // Per-feature scale and shift gathered once per position, so the inner loop is a plain multiply-add.
                        mean.withUnsafeBufferPointer { pmean in
                            inv.withUnsafeBufferPointer { pinv in
                                gamma.withUnsafeBufferPointer { pgam in
                                    beta.withUnsafeBufferPointer { pbet in
                                        guard let mu = pmean.baseAddress, let iv = pinv.baseAddress,
                                              let ga = pgam.baseAddress, let be = pbet.baseAddress else { return }
                                        for r in 0..<x.rows {
                                            let base = r * w
                                            for i in 0..<w {
                                                let j = js[i], k = base + i
                                                let xh = (xs[k] - mu[j]) * iv[j]
                                                hs[k] = xh
                                                os[k] = xh * ga[j] + be[j]
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

    func backward(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                  needInputs: Bool, wantParams: Bool) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0], m = map(x.shape), w = x.width
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            for role in [ParameterRole.gamma, .beta] where p.has(role) {
                let s = sampleGradients(gradOut, inputs, p, cache: cache, role: role)
                grads[role] = Dense.columnSums(s, rows: x.rows, width: m.paramCount)
            }
        }
        guard needInputs else { return ([nil], grads) }
        let (_, gain) = scales(p)
        var dx = gradOut
        guard m.param.count == w else { return ([dx], grads) }
        dx.data.withUnsafeMutableBufferPointer { pd in
            m.param.withUnsafeBufferPointer { pm in
                guard let d = pd.baseAddress, let js = pm.baseAddress else { return }
                gain.withUnsafeBufferPointer { pgain in
                    guard let gn = pgain.baseAddress, pd.count >= x.rows * w else { return }
                    for r in 0..<x.rows { let row = d + r * w; for i in 0..<w { row[i] *= gn[js[i]] } }
                }
            }
        }
        return ([dx], grads)
    }

    /// `∂ℓ_n/∂γ = Σ g ⊙ x̂` and `∂ℓ_n/∂β = Σ g`, summed over each feature's positions.
    func sampleGradients(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                         role: ParameterRole) -> [Float] {
        Normalization.affineSampleGradients(gradOut, xhat: cache.pre, map: map(gradOut.shape), role: role)
    }
}

/// Shared by the normalization layers.
enum Normalization {
    /// Per-sample γ (`Σ g x̂`) or β (`Σ g`) gradients, `rows × paramCount`.
    static func affineSampleGradients(_ g: Batch, xhat: [Float], map m: AxisMap, role: ParameterRole) -> [Float] {
        guard role == .gamma || role == .beta else { return [] }
        let w = g.width, pc = m.paramCount
        var out = [Float](repeating: 0, count: g.rows * pc)
        let gamma = role == .gamma
        guard m.param.count == w, g.data.count >= g.rows * w, !gamma || xhat.count >= g.rows * w else { return out }
        g.data.withUnsafeBufferPointer { pg in
            xhat.withUnsafeBufferPointer { px in
                m.param.withUnsafeBufferPointer { pm in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let gs = pg.baseAddress, let js = pm.baseAddress, let os = po.baseAddress else { return }
                        let xs = px.baseAddress
                        for r in 0..<g.rows {
                            let o = os + r * pc, base = r * w
                            if gamma, let xs {
                                for i in 0..<w { o[js[i]] += gs[base + i] * xs[base + i] }
                            } else {
                                for i in 0..<w { o[js[i]] += gs[base + i] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
