import Foundation

/// The common case of ``LayerNormalizationOp``, normalization over the last
/// axis only (a transformer's): each position's vector is contiguous, so the
/// statistics run over plain strided pointers instead of the general axis map.
/// Same cache layout: `pre = x̂`, `stats[v] = 1/√(var + ε)` per vector `v`.
extension LayerNormalizationOp {
    /// True when the layer normalizes exactly the last axis of `shape`.
    func normalizesLastAxis(_ shape: [Int]) -> Bool {
        AxisMap.sampleAxes(axes, rank: shape.count) == [shape.count - 1]
    }

    /// `y = γ x̂ + β`, `x̂ = (x − mean) / √(var + ε)` per vector of the last axis.
    func forwardLastAxis(_ x: Batch, _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let w = x.lastAxis
        let n = x.rows * x.positions
        Buffers.resize(&cache.pre, x.data.count)
        Buffers.resize(&cache.stats, n)
        output.resize(rows: x.rows, shape: x.shape)
        guard w > 0 else { return }
        let gamma = p[.gamma].count == w ? p[.gamma] : [Float](repeating: 1, count: w)
        let beta = p[.beta].count == w ? p[.beta] : [Float](repeating: 0, count: w)
        let count = Float(w)
        let eps = epsilon
        x.data.withUnsafeBufferPointer { px in
            cache.pre.withUnsafeMutableBufferPointer { ph in
                cache.stats.withUnsafeMutableBufferPointer { ps in
                    output.data.withUnsafeMutableBufferPointer { po in
                        gamma.withUnsafeBufferPointer { pg in
                            beta.withUnsafeBufferPointer { pb in
                                guard let xs = px.baseAddress, let hs = ph.baseAddress, let ss = ps.baseAddress,
                                    let os = po.baseAddress, let g = pg.baseAddress, let b = pb.baseAddress
                                else { return }
                                if w == 16 && VectorKernels.available {
                                    VectorKernels.layerNorm16(
                                        xs, count: n, epsilon: eps, gamma: g, beta: b, xhat: hs, inverse: ss, into: os)
                                    return
                                }
                                if w == 16 {
                                    Self.normalizeRows16(
                                        xs, count: n, epsilon: eps, gamma: g, beta: b, xhat: hs, inverse: ss, into: os)
                                    return
                                }
                                for v in 0..<n {
                                    let xv = xs + v * w
                                    let hv = hs + v * w
                                    let ov = os + v * w
                                    let mean = FastMath.dot(xv, nil, count: w) / count
                                    let sq = FastMath.squaredDeviations(xv, from: mean, count: w)
                                    let inv = 1 / (sq / count + eps).squareRoot()
                                    ss[v] = inv
                                    for i in 0..<w {
                                        let h = (xv[i] - mean) * inv
                                        hv[i] = h
                                        ov[i] = h * g[i] + b[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// ``forwardLastAxis(_:_:output:cache:)`` for vectors of 16 (a small
    /// transformer's width): each vector one register row, its sums folded in
    /// registers, nothing read twice from memory.
    static func normalizeRows16(
        _ x: UnsafePointer<Float>, count n: Int, epsilon: Float, gamma: UnsafePointer<Float>,
        beta: UnsafePointer<Float>, xhat: UnsafeMutablePointer<Float>, inverse: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        typealias Row = SIMD16<Float>
        let g = UnsafeRawPointer(gamma).loadUnaligned(as: Row.self)
        let b = UnsafeRawPointer(beta).loadUnaligned(as: Row.self)
        for v in 0..<n {
            let r = UnsafeRawPointer(x + v &* 16).loadUnaligned(as: Row.self)
            let d = r - FastMath.total(r.lowHalf + r.highHalf) * (1 / 16)
            let inv = 1 / (FastMath.total((d * d).lowHalf + (d * d).highHalf) * (1 / 16) + epsilon).squareRoot()
            inverse[v] = inv
            let h = d * inv
            UnsafeMutableRawPointer(xhat + v &* 16).storeBytes(of: h, as: Row.self)
            UnsafeMutableRawPointer(out + v &* 16).storeBytes(of: h * g + b, as: Row.self)
        }
    }

    /// `dx = (1/σ) (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂))`, `ĝ = g ⊙ γ`, per vector of the last axis.
    func inputGradientLastAxis(_ gradOut: Batch, _ p: LayerParams, cache: LayerCache) -> Batch {
        var dx = gradOut
        writeInputGradientLastAxis(gradOut, p, cache: cache, into: &dx.data)
        return dx
    }

    /// ``inputGradientLastAxis(_:_:cache:)`` into `dx` (sized like `gradOut`; its storage reused).
    func writeInputGradientLastAxis(_ gradOut: Batch, _ p: LayerParams, cache: LayerCache, into dx: inout [Float]) {
        let w = gradOut.lastAxis
        let n = gradOut.rows * gradOut.positions
        Buffers.resize(&dx, gradOut.data.count)
        guard w > 0, cache.pre.count >= n * w, cache.stats.count >= n, gradOut.data.count >= n * w else { return }
        let gamma = p[.gamma].count == w ? p[.gamma] : [Float](repeating: 1, count: w)
        let count = Float(w)
        gradOut.data.withUnsafeBufferPointer { pgo in
            cache.pre.withUnsafeBufferPointer { ph in
                cache.stats.withUnsafeBufferPointer { ps in
                    dx.withUnsafeMutableBufferPointer { pd in
                        gamma.withUnsafeBufferPointer { pg in
                            guard let go = pgo.baseAddress, let hs = ph.baseAddress, let ss = ps.baseAddress,
                                let ds = pd.baseAddress, let g = pg.baseAddress
                            else { return }
                            for v in 0..<n {
                                let gv = go + v * w
                                let hv = hs + v * w
                                let gh = ds + v * w  // ĝ = g ⊙ γ, then dx over it
                                for i in 0..<w { gh[i] = gv[i] * g[i] }
                                let m1 = FastMath.dot(gh, nil, count: w) / count
                                let m2 = FastMath.dot(gh, hv, count: w) / count
                                let inv = ss[v]
                                for i in 0..<w { gh[i] = inv * (gh[i] - m1 - hv[i] * m2) }
                            }
                        }
                    }
                }
            }
        }
    }
}
