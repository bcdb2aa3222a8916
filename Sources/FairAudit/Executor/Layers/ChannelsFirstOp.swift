import Foundation

/// A channels-last spatial op run on channels-first samples
/// (`data_format: channels_first`, ONNX's NCHW): the input's channel axis
/// moved last, the op run, the output's channel axis moved back first
/// (outputs of one axis, as global pooling's, are left as they are).
/// Convolution and pooling run forward on the channels-first samples as
/// they are (``directForward(_:_:output:cache:)``).
struct ChannelsFirstOp: LayerOp {
    var inner: any LayerOp

    var className: String { inner.className }
    var roles: [ParameterRole] { inner.roles }

    /// `(C, …)` → `(…, C)`.
    static func last(_ s: [Int]) -> [Int] { s.count < 2 ? s : Array(s.dropFirst()) + [s[0]] }
    /// `(…, C)` → `(C, …)`.
    static func first(_ s: [Int]) -> [Int] { s.count < 2 ? s : [s[s.count - 1]] + s.dropLast() }

    /// Moves axis 0 of each sample last (`toLast`) or the last axis first.
    static func move(_ b: Batch, toLast: Bool) -> Batch {
        guard b.shape.count >= 2 else { return b }
        let c = toLast ? b.shape[0] : b.shape[b.shape.count - 1]
        let per = b.width / max(c, 1)
        var out = Batch(
            rows: b.rows, shape: toLast ? last(b.shape) : first(b.shape),
            data: [Float](repeating: 0, count: b.data.count))
        b.data.withUnsafeBufferPointer { ps in
            out.data.withUnsafeMutableBufferPointer { pd in
                guard let s = ps.baseAddress, let d = pd.baseAddress else { return }
                for n in 0..<b.rows {
                    let sn = s + n * b.width
                    let dn = d + n * b.width
                    for i in 0..<c {
                        for q in 0..<per {
                            if toLast { dn[q * c + i] = sn[i * per + q] } else { dn[i * per + q] = sn[q * c + i] }
                        }
                    }
                }
            }
        }
        return out
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        Self.first(try inner.outputShape(inputs.map(Self.last), params: params))
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        if inputs.count == 1, directForward(inputs[0], p, output: &output, cache: &cache) { return }
        var out = Batch()
        inner.forward(inputs.map { Self.move($0, toLast: true) }, p, output: &out, cache: &cache)
        output = Self.move(out, toLast: false)
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let (dIns, grads) = inner.backward(
            Self.move(gradOut, toLast: true), inputs.map { Self.move($0, toLast: true) }, p,
            cache: cache, needInputs: needInputs, wantParams: wantParams)
        return (dIns.map { $0.map { Self.move($0, toLast: false) } }, grads)
    }

    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        inner.sampleGradients(
            Self.move(gradOut, toLast: true), inputs.map { Self.move($0, toLast: true) }, p, cache: cache, role: role)
    }

    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        inner.accumulateSquaredSampleGrads(
            Self.move(gradOut, toLast: true), inputs.map { Self.move($0, toLast: true) }, p,
            cache: cache, roles: roles, weights: weights, into: out)
    }
}
