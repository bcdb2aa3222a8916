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
        guard params[.movingMean] != nil, params[.movingVariance] != nil else {
            throw ShapeError("lacks moving_mean or moving_variance")
        }
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

    /// True when the layer normalizes each channel (the last axis) of
    /// samples of rank `rank` alone: its parameters are per channel.
    func normalizesChannels(rank: Int) -> Bool {
        rank >= 1 && AxisMap.sampleAxes(axes, rank: rank) == [rank - 1]
    }

    /// `y = x · s + t` per feature: `s = γ / √(σ² + ε)`, `t = β − μ s`, the
    /// forward pass's coefficients (empty when the statistics are missing).
    func affine(_ p: LayerParams) -> (scale: [Float], shift: [Float]) {
        let mean = p[.movingMean]
        let variance = p[.movingVariance]
        let gamma = p[.gamma]
        let beta = p[.beta]
        let n = variance.count
        guard mean.count >= n, gamma.isEmpty || gamma.count >= n, beta.isEmpty || beta.count >= n else {
            return ([], [])
        }
        var scale = [Float](repeating: 0, count: n)
        var shift = [Float](repeating: 0, count: n)
        for j in 0..<n {
            let s = 1 / (variance[j] + epsilon).squareRoot() * (gamma.isEmpty ? 1 : gamma[j])
            scale[j] = s
            shift[j] = (beta.isEmpty ? 0 : beta[j]) - mean[j] * s
        }
        return (scale, shift)
    }

    /// `y = x · s + t` with `s = γ / √(σ² + ε)` and `t = β − μ s` laid out
    /// per element of a sample (`cache.hidden`: `s` then `t`, `2 · width`
    /// values), so every row is one contiguous multiply-add stream whatever
    /// the axes; the same float32 formula as Keras's `batch_normalization`.
    /// `cache.stats` keeps `1/√(σ² + ε)` per feature for the backward pass;
    /// the Fisher recomputes `x̂` from the input (``normalized``).
    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let m = cache.axisMap(x.shape, map)
        let w = x.width
        let pc = m.paramCount
        let mean = p[.movingMean]
        let variance = p[.movingVariance]
        let gamma = p[.gamma]
        let beta = p[.beta]
        output.resize(rows: x.rows, shape: x.shape)
        guard mean.count >= pc, variance.count >= pc, gamma.isEmpty || gamma.count >= pc,
            beta.isEmpty || beta.count >= pc, m.param.count == w, x.data.count >= x.rows * w
        else { return }
        Buffers.resize(&cache.stats, pc)
        Buffers.resize(&cache.hidden, 2 * w)
        for j in 0..<pc { cache.stats[j] = 1 / (variance[j] + epsilon).squareRoot() }
        for i in 0..<w {
            let j = m.param[i]
            let s = cache.stats[j] * (gamma.isEmpty ? 1 : gamma[j])
            cache.hidden[i] = s
            cache.hidden[w + i] = (beta.isEmpty ? 0 : beta[j]) - mean[j] * s
        }
        let rows = x.rows
        x.data.withUnsafeBufferPointer { px in
            cache.hidden.withUnsafeBufferPointer { pst in
                output.data.withUnsafeMutableBufferPointer { pout in
                    guard let xs = px.baseAddress, let st = pst.baseAddress, let out = pout.baseAddress else { return }
                    let scale = st
                    let shift = st + w
                    for r in 0..<rows {
                        let xr = xs + r * w
                        let o = out + r * w
                        for i in 0..<w { o[i] = xr[i] * scale[i] + shift[i] }
                    }
                }
            }
        }
    }

    /// `x̂ = (x − μ) / √(σ² + ε)` of the batch `x` into `scratch.normalized`
    /// (the γ gradients' factor), from the per-feature scales the forward pass kept.
    func normalized(_ x: Batch, _ p: LayerParams, cache: LayerCache) -> [Float] {
        let m = cache.axisMap ?? map(x.shape)
        let w = x.width
        let mean = p[.movingMean]
        let scratch = cache.scratch
        Buffers.resize(&scratch.normalized, x.rows * w)
        let inv = cache.stats.count >= m.paramCount ? cache.stats : scales(p).inv
        guard m.param.count == w, mean.count >= m.paramCount, inv.count >= m.paramCount, x.data.count >= x.rows * w
        else { return scratch.normalized }
        x.data.withUnsafeBufferPointer { px in
            scratch.normalized.withUnsafeMutableBufferPointer { po in
                m.param.withUnsafeBufferPointer { pp in
                    guard let xs = px.baseAddress, let o = po.baseAddress, let param = pp.baseAddress else { return }
                    for r in 0..<x.rows {
                        for i in 0..<w {
                            let j = param[i]
                            o[r * w + i] = (xs[r * w + i] - mean[j]) * inv[j]
                        }
                    }
                }
            }
        }
        return scratch.normalized
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        let m = map(x.shape)
        let w = x.width
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
                    for r in 0..<x.rows {
                        let row = d + r * w
                        for i in 0..<w { row[i] *= gn[js[i]] }
                    }
                }
            }
        }
        return ([dx], grads)
    }

    /// `∂ℓ/∂x = g γ / √(σ² + ε)` into the reused batch (`1/√(σ² + ε)` kept by the forward pass).
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let x = inputs[0]
        let m = cache.axisMap ?? map(x.shape)
        let w = x.width
        let gamma = p[.gamma]
        gradInputs[0].resize(rows: x.rows, shape: x.shape)
        hasGradient[0] = true
        guard cache.stats.count >= m.paramCount, gamma.isEmpty || gamma.count >= m.paramCount,
            gradOut.data.count >= x.rows * w
        else { return }
        let inv = cache.stats
        let hasGamma = !gamma.isEmpty
        gradOut.data.withUnsafeBufferPointer { pg in
            gradInputs[0].data.withUnsafeMutableBufferPointer { pd in
                m.param.withUnsafeBufferPointer { pp in
                    guard let g = pg.baseAddress, let d = pd.baseAddress, let param = pp.baseAddress else { return }
                    for r in 0..<x.rows {
                        for i in 0..<w {
                            let j = param[i]
                            let k = r * w + i
                            d[k] = g[k] * (inv[j] * (hasGamma ? gamma[j] : 1))
                        }
                    }
                }
            }
        }
    }

    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        Normalization.accumulateAffineSquares(
            gradOut, xhat: normalized(inputs[0], p, cache: cache), map: cache.axisMap ?? map(gradOut.shape),
            roles: roles,
            weights: weights, scratch: cache.scratch, into: out)
    }

    /// `∂ℓ_n/∂γ = Σ g ⊙ x̂` and `∂ℓ_n/∂β = Σ g`, summed over each feature's positions.
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        Normalization.affineSampleGradients(
            gradOut, xhat: role == .gamma ? normalized(inputs[0], p, cache: cache) : [], map: map(gradOut.shape),
            role: role)
    }
}

/// Shared by the normalization layers.
enum Normalization {
    /// `out[k][c, ·] += Σ_n w[n, c] g_n²` for γ and β, the per-sample
    /// gradients (each summed over the feature's positions) formed in the
    /// node's scratch; a single column of ones adds the squares' column sums.
    static func accumulateAffineSquares(
        _ g: Batch, xhat: [Float], map m: AxisMap, roles: [ParameterRole], weights: Membership,
        scratch: LayerScratch, into out: [UnsafeMutablePointer<Double>]
    ) {
        let rows = g.rows
        let w = g.width
        let pc = m.paramCount
        guard rows > 0, pc > 0, g.data.count >= rows * w, xhat.count >= rows * w else { return }
        for (k, role) in roles.enumerated() where role == .gamma || role == .beta {
            Buffers.resize(&scratch.xRows, rows * pc)
            g.data.withUnsafeBufferPointer { pg in
                xhat.withUnsafeBufferPointer { px in
                    scratch.xRows.withUnsafeMutableBufferPointer { ps in
                        m.param.withUnsafeBufferPointer { pp in
                            guard let gd = pg.baseAddress, let xh = px.baseAddress, let sg = ps.baseAddress,
                                let param = pp.baseAddress
                            else { return }
                            sg.update(repeating: 0, count: rows * pc)
                            for r in 0..<rows {
                                let row = sg + r * pc
                                let base = r * w
                                if role == .gamma {
                                    for i in 0..<w { row[param[i]] += gd[base + i] * xh[base + i] }
                                } else {
                                    for i in 0..<w { row[param[i]] += gd[base + i] }
                                }
                            }
                            for i in 0..<(rows * pc) { sg[i] *= sg[i] }
                        }
                    }
                }
            }
            // Squares rounded to float32 once, weighted and summed in double (as every layer's).
            let sq = scratch.xRows.prefix(rows * pc).map(Double.init)
            let wd = weights.weights.map(Double.init)
            wd.withUnsafeBufferPointer { pw in
                sq.withUnsafeBufferPointer { ps in
                    guard let wp = pw.baseAddress, let sp = ps.baseAddress else { return }
                    dgemm(
                        transA: true, transB: false, m: weights.columns, n: pc, k: rows, a: wp, lda: weights.columns,
                        b: sp, ldb: pc, c: out[k], ldc: pc)
                }
            }
        }
    }

    /// Per-sample γ (`Σ g x̂`) or β (`Σ g`) gradients, `rows × paramCount`.
    static func affineSampleGradients(_ g: Batch, xhat: [Float], map m: AxisMap, role: ParameterRole) -> [Float] {
        guard role == .gamma || role == .beta else { return [] }
        let w = g.width
        let pc = m.paramCount
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
                            let o = os + r * pc
                            let base = r * w
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
