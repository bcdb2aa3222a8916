import Foundation

/// Keras `MultiHeadAttention` on inputs `[query, value]` or `[query, value, key]`
/// (per sample `(T, d)`; the key defaults to the value), without masks:
///
///     Q = x_q W_q + b_q,  K = x_k W_k + b_k,  V = x_v W_v + b_v   (per head h)
///     P_h = softmax(Q_h K_hᵀ / √key_dim)  over the keys
///     y = concat_h(P_h V_h) W_o + b_o
///
/// Kernels as Keras stores them: `(d, heads, key_dim)` for query and key,
/// `(d, heads, value_dim)` for value, `(heads, value_dim, out)` for the
/// output, each read as one matrix. Dropout is the identity at inference.
///
/// The cache keeps `pre = [Q/√key_dim | K | V]`, `stats = P` (per sample
/// and head, `tq × tv`) and `hidden = C` (the heads' contexts side by side).
struct MultiHeadAttentionOp: LayerOp {
    var spec: AttentionSpec

    var className: String { "MultiHeadAttention" }
    var roles: [ParameterRole] {
        spec.useBias
            ? [.queryKernel, .queryBias, .keyKernel, .keyBias, .valueKernel, .valueBias, .outputKernel, .outputBias]
            : [.queryKernel, .keyKernel, .valueKernel, .outputKernel]
    }

    /// The scale applied to the projected query, `1/√key_dim`.
    var scale: Float { 1 / Float(spec.keyDim).squareRoot() }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        guard inputs.count == 2 || inputs.count == 3 else {
            throw ShapeError("takes a query and a value (and a key), got \(inputs.count) inputs")
        }
        let names = ["query", "value", "key"]
        for (i, s) in inputs.enumerated() where s.count != 2 {
            throw ShapeError("attends over (positions, features) inputs; its \(names[i]) has per-sample shape \(s)")
        }
        let q = inputs[0]
        let v = inputs[1]
        let k = inputs.count > 2 ? inputs[2] : inputs[1]
        guard k[0] == v[0] else { throw ShapeError("its key has \(k[0]) positions but its value \(v[0])") }
        let h = spec.heads
        let kd = spec.keyDim
        let vd = spec.valueDim
        let out = params[.outputKernel]?.last ?? spec.outputDim ?? q[1]
        let expected: [(ParameterRole, [Int])] = [
            (.queryKernel, [q[1], h, kd]), (.keyKernel, [k[1], h, kd]), (.valueKernel, [v[1], h, vd]),
            (.outputKernel, [h, vd, out]),
            (.queryBias, [h, kd]), (.keyBias, [h, kd]), (.valueBias, [h, vd]), (.outputBias, [out]),
        ]
        for (role, shape) in expected where roles.contains(role) {
            guard let got = params[role] else { throw ShapeError("has no \(role.rawValue) weight") }
            guard got == shape else { throw ShapeError("its \(role.rawValue) has shape \(got), expected \(shape)") }
        }
        if let o = spec.outputDim, o != out {
            throw ShapeError("has output_shape \(o) but its output kernel gives \(out)")
        }
        return [q[0], out]
    }

    /// The sizes of a pass over `inputs`.
    func dims(_ inputs: [Batch]) -> AttentionDims {
        AttentionDims(
            rows: inputs[0].rows, tq: inputs[0].shape.first ?? 0, tv: inputs[1].shape.first ?? 0,
            heads: spec.heads, kd: spec.keyDim, vd: spec.valueDim)
    }

    /// Sizes a forward pass's buffers for `d`: the projected query, key and
    /// value side by side in `cache.pre`, the softmax statistics, the heads'
    /// contexts and the output `(rows, tq, out)`; returns the query's, key's
    /// and value's counts in `pre` and the output width.
    func prepareForward(
        _ d: AttentionDims, _ p: LayerParams, output: inout Batch, cache: inout LayerCache
    ) -> (qn: Int, kn: Int, vn: Int, out: Int) {
        let qn = d.rows * d.tq * d.qkWidth
        let kn = d.rows * d.tv * d.qkWidth
        let vn = d.rows * d.tv * d.vWidth
        let out = p[.outputKernel].count / max(d.vWidth, 1)
        Buffers.resize(&cache.pre, qn + kn + vn)
        Buffers.resize(&cache.stats, d.rows * d.probsPerRow)
        Buffers.resize(&cache.hidden, d.rows * d.tq * d.vWidth)
        output.resize(rows: d.rows, shape: [d.tq, out])
        return (qn, kn, vn, out)
    }

    /// The key input: the third when given, else the value.
    func key(_ inputs: [Batch]) -> Batch { inputs.count > 2 ? inputs[2] : inputs[1] }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let d = dims(inputs)
        let xq = inputs[0]
        let xv = inputs[1]
        let xk = key(inputs)
        let (qn, kn, _, out) = prepareForward(d, p, output: &output, cache: &cache)
        guard d.rows > 0, d.tq > 0, d.tv > 0 else { return }
        let s = scale
        cache.pre.withUnsafeMutableBufferPointer { pre in
            guard let q = pre.baseAddress else { return }
            let k = q + qn
            let v = k + kn
            Self.project(
                xq, kernel: p[.queryKernel], bias: spec.useBias ? p[.queryBias] : nil, nOut: d.qkWidth, alpha: s,
                into: q)
            Self.project(xk, kernel: p[.keyKernel], bias: spec.useBias ? p[.keyBias] : nil, nOut: d.qkWidth, into: k)
            Self.project(xv, kernel: p[.valueKernel], bias: spec.useBias ? p[.valueBias] : nil, nOut: d.vWidth, into: v)
            cache.stats.withUnsafeMutableBufferPointer { probs in
                cache.hidden.withUnsafeMutableBufferPointer { c in
                    guard let pb = probs.baseAddress, let cb = c.baseAddress else { return }
                    AttentionKernels.attend(q: q, k: k, v: v, probs: pb, c: cb, d)
                }
            }
        }
        let context = Batch(rows: d.rows, shape: [d.tq, d.vWidth], data: cache.hidden)
        output.data.withUnsafeMutableBufferPointer { o in
            guard let ob = o.baseAddress else { return }
            Self.project(
                context, kernel: p[.outputKernel], bias: spec.useBias ? p[.outputBias] : nil, nOut: out, into: ob)
        }
    }

    /// `out = α (x W + b)` over every position of `x` (`W` stored `d × nOut` in C order).
    static func project(
        _ x: Batch, kernel: [Float], bias: [Float]?, nOut: Int, alpha: Float = 1, into out: UnsafeMutablePointer<Float>
    ) {
        let nIn = x.lastAxis
        let m = x.rows * x.positions
        x.data.withUnsafeBufferPointer { px in
            kernel.withUnsafeBufferPointer { pk in
                guard let xb = px.baseAddress, let kb = pk.baseAddress, pk.count >= nIn * nOut else { return }
                if let bias, bias.count >= nOut {
                    bias.withUnsafeBufferPointer { pb in
                        AttentionKernels.project(
                            xb, rows: m, nIn: nIn, nOut: nOut, kernel: kb, bias: pb.baseAddress, alpha: alpha,
                            into: out)
                    }
                } else {
                    AttentionKernels.project(
                        xb, rows: m, nIn: nIn, nOut: nOut, kernel: kb, bias: nil, alpha: alpha, into: out)
                }
            }
        }
    }
}
