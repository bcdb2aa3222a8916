import Foundation

/// Keras `RepeatVector(n)`: a vector `(d)` becomes `(n, d)`, `n` copies.
struct RepeatVectorOp: LayerOp {
    var count: Int
    var className: String { "RepeatVector" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard inputs[0].count == 1, count > 0 else {
            throw ShapeError("repeats a vector, got an input of shape \(inputs[0])")
        }
        return [count, inputs[0][0]]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let d = x.width
        output.resize(rows: x.rows, shape: [count, d])
        for r in 0..<x.rows {
            for t in 0..<count { for j in 0..<d { output.data[(r * count + t) * d + j] = x.data[r * d + j] } }
        }
    }

    /// `∂ℓ/∂x = Σ_t g_t`.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        let x = inputs[0]
        let d = x.width
        var dx = Batch.zeros(rows: x.rows, shape: x.shape)
        for r in 0..<x.rows {
            for t in 0..<count { for j in 0..<d { dx.data[r * d + j] += gradOut.data[(r * count + t) * d + j] } }
        }
        return ([dx], [:])
    }
}
