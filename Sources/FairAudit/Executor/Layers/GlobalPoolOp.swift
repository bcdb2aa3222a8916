import Foundation

/// Keras `GlobalAveragePooling1D/2D` and `GlobalMaxPooling1D/2D` on
/// channels-last samples `(…positions, C)`: `y[c] = mean_p x[p, c]` or
/// `max_p x[p, c]`, shape `(C)`, or with `keepDims` the spatial axes kept as 1.
struct GlobalPoolOp: LayerOp {
    var kind: PoolOp.Kind
    /// Spatial axes the layer expects (1 or 2).
    var rank: Int
    var keepDims: Bool

    var className: String { "Global\(kind == .max ? "Max" : "Average")Pooling\(rank)D" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard inputs[0].count == rank + 1, inputs[0].allSatisfy({ $0 > 0 }) else {
            throw ShapeError(
                "takes samples of \(rank + 1) non-empty axes (positions, channels), got shape \(inputs[0])")
        }
        let c = inputs[0][rank]
        return keepDims ? [Int](repeating: 1, count: rank) + [c] : [c]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let c = x.lastAxis
        let per = x.positions
        output.resize(rows: x.rows, shape: keepDims ? [Int](repeating: 1, count: rank) + [c] : [c])
        let max = kind == .max
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { po in
                guard let xs = px.baseAddress, let os = po.baseAddress else { return }
                for n in 0..<x.rows {
                    let dst = os + n * c
                    let xn = xs + n * per * c
                    dst.update(repeating: max ? -.infinity : 0, count: c)
                    for q in 0..<per {
                        let src = xn + q * c
                        if max {
                            for j in 0..<c {
                                let v = src[j]
                                dst[j] = v > dst[j] || v != v ? v : dst[j]  // a NaN wins, as in Keras
                            }
                        } else {
                            for j in 0..<c { dst[j] += src[j] }
                        }
                    }
                    if !max, per > 0 {
                        let inv = 1 / Float(per)
                        for j in 0..<c { dst[j] *= inv }
                    }
                }
            }
        }
    }

    /// Average: `g/P` to every position; max: `g` to the first position holding the maximum.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        let x = inputs[0]
        let c = x.lastAxis
        let per = x.positions
        var dx = [Float](repeating: 0, count: x.data.count)
        var best = [Int](repeating: 0, count: c)
        x.data.withUnsafeBufferPointer { px in
            gradOut.data.withUnsafeBufferPointer { pd in
                dx.withUnsafeMutableBufferPointer { pdx in
                    guard let xs = px.baseAddress, let ds = pd.baseAddress, let dxs = pdx.baseAddress, per > 0 else {
                        return
                    }
                    for n in 0..<x.rows {
                        let go = ds + n * c
                        let xn = xs + n * per * c
                        let dn = dxs + n * per * c
                        if kind == .average {
                            let inv = 1 / Float(per)
                            for q in 0..<per { for j in 0..<c { dn[q * c + j] = go[j] * inv } }
                            continue
                        }
                        for j in 0..<c { best[j] = 0 }
                        for q in 1..<max(per, 1) {
                            for j in 0..<c where xn[q * c + j] > xn[best[j] * c + j] { best[j] = q }
                        }
                        for j in 0..<c { dn[best[j] * c + j] = go[j] }
                    }
                }
            }
        }
        return ([Batch(rows: x.rows, shape: x.shape, data: dx)], [:])
    }
}
