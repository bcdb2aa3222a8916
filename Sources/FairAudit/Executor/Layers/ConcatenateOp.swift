import Foundation

/// Keras `Concatenate(axis)`: inputs joined along one axis (Keras counts
/// the batch axis; default `-1`), equal in every other.
struct ConcatenateOp: LayerOp {
    var axis: Int = -1
    var className: String { "Concatenate" }
    var roles: [ParameterRole] { [] }

    /// The per-sample axis for samples of rank `rank`.
    func sampleAxis(rank: Int) -> Int? { AxisMap.sampleAxes([axis], rank: rank)?.first }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        guard inputs.count >= 1, let a = sampleAxis(rank: inputs[0].count) else {
            throw ShapeError("axis \(axis) is outside its inputs \(inputs)")
        }
        for s in inputs
        where s.count != inputs[0].count || s.indices.contains(where: { $0 != a && s[$0] != inputs[0][$0] }) {
            throw ShapeError("joins inputs \(inputs) that differ outside axis \(axis)")
        }
        var out = inputs[0]
        out[a] = inputs.reduce(0) { $0 + $1[a] }
        return out
    }

    /// `(outer, inner)`: blocks before the axis, and values per axis step.
    private func blocks(_ shape: [Int], _ a: Int) -> (outer: Int, inner: Int) {
        (shape[..<a].reduce(1, *), shape[(a + 1)...].reduce(1, *))
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let rank = inputs[0].shape.count
        guard let a = sampleAxis(rank: rank), let shape = try? outputShape(inputs.map(\.shape), params: [:]) else {
            return
        }
        let (outer, inner) = blocks(shape, a)
        output.resize(rows: inputs[0].rows, shape: shape)
        let count = inputs[0].rows * outer
        let width = shape[a] * inner
        output.data.withUnsafeMutableBufferPointer { po in
            guard let out = po.baseAddress, po.count >= count * width else { return }
            var offset = 0
            for x in inputs {
                let len = x.shape[a] * inner
                x.data.withUnsafeBufferPointer { px in
                    guard let src = px.baseAddress, px.count >= count * len else { return }
                    Self.scatter(src, blocks: count, length: len, into: out + offset, stride: width)
                }
                offset += len
            }
        }
    }

    /// `out[b·stride + j] = src[b·len + j]`: one input's blocks into its columns of the output
    /// (a short copy loop for the few floats a block of a tabular model holds, `memcpy` beyond).
    @inline(__always) static func scatter(
        _ src: UnsafePointer<Float>, blocks: Int, length len: Int, into out: UnsafeMutablePointer<Float>, stride: Int
    ) {
        if len >= 16 {
            for b in 0..<blocks { (out + b * stride).update(from: src + b * len, count: len) }
        } else {
            for b in 0..<blocks {
                let s = src + b * len
                let o = out + b * stride
                for j in 0..<len { o[j] = s[j] }
            }
        }
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs, let a = sampleAxis(rank: gradOut.shape.count) else { return (inputs.map { _ in nil }, [:]) }
        let (outer, inner) = blocks(gradOut.shape, a)
        var out = inputs.map { Batch.zeros(rows: $0.rows, shape: $0.shape) }
        var o = 0
        for r in 0..<gradOut.rows {
            for b in 0..<outer {
                for k in inputs.indices {
                    let len = inputs[k].shape[a] * inner
                    let base = (r * outer + b) * len
                    for j in 0..<len { out[k].data[base + j] = gradOut.data[o + j] }
                    o += len
                }
            }
        }
        return (out, [:])
    }

    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        guard let a = sampleAxis(rank: gradOut.shape.count) else {
            for k in inputs.indices { hasGradient[k] = false }
            return
        }
        let (outer, inner) = blocks(gradOut.shape, a)
        for k in inputs.indices {
            gradInputs[k].resize(rows: inputs[k].rows, shape: inputs[k].shape)
            hasGradient[k] = true
        }
        let count = gradOut.rows * outer
        let width = gradOut.shape[a] * inner
        gradOut.data.withUnsafeBufferPointer { pg in
            guard let g = pg.baseAddress, pg.count >= count * width else { return }
            var offset = 0
            for k in inputs.indices {
                let len = inputs[k].shape[a] * inner
                gradInputs[k].data.withUnsafeMutableBufferPointer { d in
                    guard let dst = d.baseAddress, d.count >= count * len else { return }
                    for b in 0..<count { (dst + b * len).update(from: g + offset + b * width, count: len) }
                }
                offset += len
            }
        }
    }
}
