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
        let x = inputs[0], m = map(x.shape), w = x.width, gc = m.groupCount
        let gamma = p[.gamma], beta = p[.beta]
        Buffers.resize(&cache.pre, x.data.count)
        Buffers.resize(&cache.stats, x.rows * gc)
        output.resize(rows: x.rows, shape: x.shape)
        let count = Float(m.paramCount)
        var mean = [Float](repeating: 0, count: gc), sq = mean
        for r in 0..<x.rows {
            for g in 0..<gc { mean[g] = 0; sq[g] = 0 }
            for i in 0..<w { mean[m.group[i]] += x.data[r * w + i] }
            for g in 0..<gc { mean[g] /= count }
            for i in 0..<w { let d = x.data[r * w + i] - mean[m.group[i]]; sq[m.group[i]] += d * d }
            for g in 0..<gc { cache.stats[r * gc + g] = 1 / (sq[g] / count + epsilon).squareRoot() }
            for i in 0..<w {
                let k = r * w + i, j = m.param[i]
                let xh = (x.data[k] - mean[m.group[i]]) * cache.stats[r * gc + m.group[i]]
                cache.pre[k] = xh
                output.data[k] = xh * (gamma.isEmpty ? 1 : gamma[j]) + (beta.isEmpty ? 0 : beta[j])
            }
        }
    }

    /// `dx = (1/σ) (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂))`, `ĝ = g ⊙ γ`, means over each normalized vector.
    func backward(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                  needInputs: Bool, wantParams: Bool) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0], m = map(x.shape), w = x.width, gc = m.groupCount
        var grads: [ParameterRole: [Float]] = [:]
        if wantParams {
            for role in [ParameterRole.gamma, .beta] where p.has(role) {
                let s = sampleGradients(gradOut, inputs, p, cache: cache, role: role)
                grads[role] = Dense.columnSums(s, rows: x.rows, width: m.paramCount)
            }
        }
        guard needInputs else { return ([nil], grads) }
        if normalizesLastAxis(x.shape) { return ([inputGradientLastAxis(gradOut, p, cache: cache)], grads) }
        let gamma = p[.gamma], count = Float(m.paramCount)
        var dx = gradOut
        var m1 = [Float](repeating: 0, count: gc), m2 = m1
        for r in 0..<x.rows {
            for g in 0..<gc { m1[g] = 0; m2[g] = 0 }
            for i in 0..<w {
                let k = r * w + i
                let gh = gradOut.data[k] * (gamma.isEmpty ? 1 : gamma[m.param[i]])
                m1[m.group[i]] += gh; m2[m.group[i]] += gh * cache.pre[k]
            }
            for i in 0..<w {
                let k = r * w + i, g = m.group[i]
                let gh = gradOut.data[k] * (gamma.isEmpty ? 1 : gamma[m.param[i]])
                dx.data[k] = cache.stats[r * gc + g] * (gh - m1[g] / count - cache.pre[k] * m2[g] / count)
            }
        }
        return ([dx], grads)
    }

    func sampleGradients(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                         role: ParameterRole) -> [Float] {
        Normalization.affineSampleGradients(gradOut, xhat: cache.pre, map: map(gradOut.shape), role: role)
    }
}
