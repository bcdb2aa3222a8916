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
        var o = 0
        for r in 0..<inputs[0].rows {
            for b in 0..<outer {
                for x in inputs {
                    let len = x.shape[a] * inner
                    let base = (r * outer + b) * len
                    for j in 0..<len { output.data[o + j] = x.data[base + j] }
                    o += len
                }
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
        gradOut.data.withUnsafeBufferPointer { pg in
            guard let g = pg.baseAddress else { return }
            var o = 0
            for r in 0..<gradOut.rows {
                for b in 0..<outer {
                    for k in inputs.indices {
                        let len = inputs[k].shape[a] * inner
                        let base = (r * outer + b) * len
                        gradInputs[k].data.withUnsafeMutableBufferPointer { d in
                            guard let dst = d.baseAddress else { return }
                            (dst + base).update(from: g + o, count: len)
                        }
                        o += len
                    }
                }
            }
        }
    }
}
