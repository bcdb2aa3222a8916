import Foundation

/// Keras `LayerNormalization` over any axes:
/// `y = γ (x − mean) / √(var + ε) + β`, mean and (biased) variance over
/// the axes, per sample and per index of the other axes.
struct LayerNormalizationOp: LayerOp {
    /// Keras axes (counting the batch axis); default `[-1]`.
    var axes: [Int] = [-1]
    var epsilon: Float
    var className: String { "LayerNormalization" }
    var roles: [ParameterRole] { [.gamma, .beta] }

    func map(_ shape: [Int]) -> AxisMap {
        AxisMap(shape: shape, axes: AxisMap.sampleAxes(axes, rank: shape.count) ?? [max(shape.count - 1, 0)])
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard let a = AxisMap.sampleAxes(axes, rank: inputs[0].count) else {
            throw ShapeError("axis \(axes) is outside an input of shape \(inputs[0])")
        }
        let n = a.map { inputs[0][$0] }.reduce(1, *)
        for (role, s) in params where s.reduce(1, *) != n {
            throw ShapeError("its \(role.rawValue) has \(s.reduce(1, *)) values for \(n) features")
        }
        return inputs[0]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        if normalizesLastAxis(inputs[0].shape) { return forwardLastAxis(inputs[0], p, output: &output, cache: &cache) }
        let x = inputs[0]
        let m = cache.axisMap(x.shape, map)
        let w = x.width
        let gc = m.groupCount
        let pc = m.paramCount
        let gamma = p[.gamma]
        let beta = p[.beta]
        Buffers.resize(&cache.pre, x.data.count)
        Buffers.resize(&cache.stats, x.rows * gc)
        Buffers.resize(&cache.hidden, 2 * gc)  // a row's mean and squared deviations per vector
        output.resize(rows: x.rows, shape: x.shape)
        guard gamma.isEmpty || gamma.count >= pc, beta.isEmpty || beta.count >= pc, x.data.count >= x.rows * w else {
            return
        }
        let count = Float(pc)
        let hasGamma = !gamma.isEmpty
        let hasBeta = !beta.isEmpty
        let eps = epsilon
        x.data.withUnsafeBufferPointer { px in
            cache.stats.withUnsafeMutableBufferPointer { pst in
                cache.pre.withUnsafeMutableBufferPointer { ppre in
                    cache.hidden.withUnsafeMutableBufferPointer { pacc in
                        output.data.withUnsafeMutableBufferPointer { pout in
                            m.param.withUnsafeBufferPointer { pparam in
                                m.group.withUnsafeBufferPointer { pgroup in
                                    guard let xs = px.baseAddress, let stats = pst.baseAddress,
                                        let pre = ppre.baseAddress,
                                        let acc = pacc.baseAddress, let out = pout.baseAddress,
                                        let param = pparam.baseAddress, let group = pgroup.baseAddress
                                    else { return }
                                    let mean = acc
                                    let sq = acc + gc
                                    for r in 0..<x.rows {
                                        let row = xs + r * w
                                        for g in 0..<gc {
                                            mean[g] = 0
                                            sq[g] = 0
                                        }
                                        for i in 0..<w { mean[group[i]] += row[i] }
                                        for g in 0..<gc { mean[g] /= count }
                                        for i in 0..<w {
                                            let d = row[i] - mean[group[i]]
                                            sq[group[i]] += d * d
                                        }
                                        for g in 0..<gc { stats[r * gc + g] = 1 / (sq[g] / count + eps).squareRoot() }
                                        for i in 0..<w {
                                            let k = r * w + i
                                            let j = param[i]
                                            let g = group[i]
                                            let xh = (row[i] - mean[g]) * stats[r * gc + g]
                                            pre[k] = xh
                                            out[k] = xh * (hasGamma ? gamma[j] : 1) + (hasBeta ? beta[j] : 0)
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

    /// `dx = (1/σ) (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂))`, `ĝ = g ⊙ γ`, means over each normalized vector.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        let m = map(x.shape)
        let w = x.width
        let gc = m.groupCount
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            for role in [ParameterRole.gamma, .beta] where p.has(role) {
                let s = sampleGradients(gradOut, inputs, p, cache: cache, role: role)
                grads[role] = Dense.columnSums(s, rows: x.rows, width: m.paramCount)
            }
        }
        guard needInputs else { return ([nil], grads) }
        if normalizesLastAxis(x.shape) { return ([inputGradientLastAxis(gradOut, p, cache: cache)], grads) }
        let gamma = p[.gamma]
        let count = Float(m.paramCount)
        var dx = gradOut
        var m1 = [Float](repeating: 0, count: gc)
        var m2 = m1
        for r in 0..<x.rows {
            for g in 0..<gc {
                m1[g] = 0
                m2[g] = 0
            }
            for i in 0..<w {
                let k = r * w + i
                let gh = gradOut.data[k] * (gamma.isEmpty ? 1 : gamma[m.param[i]])
                m1[m.group[i]] += gh
                m2[m.group[i]] += gh * cache.pre[k]
            }
            for i in 0..<w {
                let k = r * w + i
                let g = m.group[i]
                let gh = gradOut.data[k] * (gamma.isEmpty ? 1 : gamma[m.param[i]])
                dx.data[k] = cache.stats[r * gc + g] * (gh - m1[g] / count - cache.pre[k] * m2[g] / count)
            }
        }
        return ([dx], grads)
    }

    /// ``backward``'s input gradient into the reused batch.
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let x = inputs[0]
        gradInputs[0].resize(rows: x.rows, shape: x.shape)
        hasGradient[0] = true
        if normalizesLastAxis(x.shape) {
            return writeInputGradientLastAxis(gradOut, p, cache: cache, into: &gradInputs[0].data)
        }
        let m = cache.axisMap ?? map(x.shape)
        let w = x.width
        let gc = m.groupCount
        let gamma = p[.gamma]
        let count = Float(m.paramCount)
        let hasGamma = !gamma.isEmpty
        let s = cache.scratch
        Buffers.resize(&s.xRows, 2 * gc)
        guard gamma.isEmpty || gamma.count >= m.paramCount, gradOut.data.count >= x.rows * w,
            cache.pre.count >= x.rows * w, cache.stats.count >= x.rows * gc
        else { return }
        gradOut.data.withUnsafeBufferPointer { pg in
            gradInputs[0].data.withUnsafeMutableBufferPointer { pd in
                cache.pre.withUnsafeBufferPointer { ppre in
                    cache.stats.withUnsafeBufferPointer { pst in
                        s.xRows.withUnsafeMutableBufferPointer { pm in
                            m.param.withUnsafeBufferPointer { pp in
                                m.group.withUnsafeBufferPointer { pgr in
                                    guard let g = pg.baseAddress, let dx = pd.baseAddress, let xh = ppre.baseAddress,
                                        let st = pst.baseAddress, let m1 = pm.baseAddress, let param = pp.baseAddress,
                                        let group = pgr.baseAddress
                                    else { return }
                                    let m2 = m1 + gc
                                    for r in 0..<x.rows {
                                        for q in 0..<gc {
                                            m1[q] = 0
                                            m2[q] = 0
                                        }
                                        for i in 0..<w {
                                            let k = r * w + i
                                            let gh = g[k] * (hasGamma ? gamma[param[i]] : 1)
                                            m1[group[i]] += gh
                                            m2[group[i]] += gh * xh[k]
                                        }
                                        for i in 0..<w {
                                            let k = r * w + i
                                            let q = group[i]
                                            let gh = g[k] * (hasGamma ? gamma[param[i]] : 1)
                                            dx[k] = st[r * gc + q] * (gh - m1[q] / count - xh[k] * m2[q] / count)
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

    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        Normalization.accumulateAffineSquares(
            gradOut, xhat: cache.pre, map: cache.axisMap ?? map(gradOut.shape), roles: roles,
            weights: weights, scratch: cache.scratch, into: out)
    }

    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        Normalization.affineSampleGradients(gradOut, xhat: cache.pre, map: map(gradOut.shape), role: role)
    }
}
