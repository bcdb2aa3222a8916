import Foundation

/// Keras `Normalization` (preprocessing) on any axes:
/// `y = (x − mean) / max(√variance, 1e-7)`, the statistics from the
/// layer's weights or its config; never trained.
struct NormalizationOp: LayerOp {
    /// Keras axes (counting the batch axis); default `[-1]`.
    var axes: [Int] = [-1]
    /// Statistics given in the config (used when the layer has no weights).
    var mean: [Float]?
    var variance: [Float]?
    var className: String { "Normalization" }
    var roles: [ParameterRole] { [.mean, .variance, .count] }

    func map(_ shape: [Int]) -> AxisMap {
        AxisMap(shape: shape, axes: AxisMap.sampleAxes(axes, rank: shape.count) ?? [max(shape.count - 1, 0)])
    }

    /// The mean and `1 / max(√variance, ε)` per feature.
    func statistics(_ p: LayerParams, count: Int) -> (mean: [Float], inv: [Float]) {
        func spread(_ v: [Float]) -> [Float] { v.count == 1 ? [Float](repeating: v[0], count: count) : v }
        let m = spread(p.has(.mean) ? p[.mean] : mean ?? [0])
        let v = spread(p.has(.variance) ? p[.variance] : variance ?? [1])
        return (m, v.map { 1 / max($0.squareRoot(), 1e-7) })
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard let a = AxisMap.sampleAxes(axes, rank: inputs[0].count) else {
            throw ShapeError("axis \(axes) is outside an input of shape \(inputs[0])")
        }
        let n = a.map { inputs[0][$0] }.reduce(1, *)
        let sizes = [params[.mean]?.reduce(1, *), params[.variance]?.reduce(1, *), mean?.count, variance?.count]
            .compactMap { $0 }
        guard !sizes.isEmpty || params[.mean] != nil else {
            throw ShapeError("has neither mean/variance weights nor values in its config")
        }
        if let bad = sizes.first(where: { $0 != n && $0 != 1 }) {
            throw ShapeError("its mean or variance has \(bad) values for \(n) features")
        }
        return inputs[0]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let m = cache.axisMap(x.shape, map)
        let w = x.width
        let pc = m.paramCount
        if cache.stats.count != 2 * pc {
            // Mean, then 1/σ, worked out on a trace's first batch: the layer is never trained.
            let (mean, inv) = statistics(p, count: pc)
            cache.stats = mean + inv
        }
        output.resize(rows: x.rows, shape: x.shape)
        precondition(
            cache.stats.count == 2 * pc && x.data.count >= x.rows * w,
            "normalization statistics of \(cache.stats.count) values for \(pc) parameters")
        x.data.withUnsafeBufferPointer { px in
            cache.stats.withUnsafeBufferPointer { pst in
                output.data.withUnsafeMutableBufferPointer { pout in
                    m.param.withUnsafeBufferPointer { pparam in
                        guard let xs = px.baseAddress, let st = pst.baseAddress, let out = pout.baseAddress,
                            let param = pparam.baseAddress
                        else { return }
                        let mean = st
                        let inv = st + pc
                        for r in 0..<x.rows {
                            for i in 0..<w {
                                let k = r * w + i
                                let j = param[i]
                                out[k] = (xs[k] - mean[j]) * inv[j]
                            }
                        }
                    }
                }
            }
        }
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        let m = map(gradOut.shape)
        let w = gradOut.width
        let (_, inv) = statistics(p, count: m.paramCount)
        var d = gradOut
        for r in 0..<d.rows { for i in 0..<w { d.data[r * w + i] *= inv[m.param[i]] } }
        return ([d], [:])
    }
}
