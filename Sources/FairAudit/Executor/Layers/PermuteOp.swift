import Foundation

/// Keras `Permute(dims)`: reorders the per-sample axes; `dims` are 1-based
/// (`(2, 1)` swaps the two axes of a rank-2 sample).
struct PermuteOp: LayerOp {
    var dims: [Int]
    var className: String { "Permute" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard dims.sorted() == Array(1...max(inputs[0].count, 1)), dims.count == inputs[0].count else {
            throw ShapeError(
                "dims \(dims) are not a permutation of the axes 1…\(inputs[0].count) of its input \(inputs[0])")
        }
        return dims.map { inputs[0][$0 - 1] }
    }

    /// For each output element, the index of the input element it copies.
    func sourceIndex(_ shape: [Int]) -> [Int] {
        let out = dims.map { shape[$0 - 1] }
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let n = shape.reduce(1, *)
        var src = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: out.count)
        for i in 0..<n {
            var s = 0
            for (k, d) in dims.enumerated() { s += index[k] * strides[d - 1] }
            src[i] = s
            var k = out.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < out[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return src
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let w = x.width
        let src = sourceIndex(x.shape)
        output.resize(rows: x.rows, shape: dims.map { x.shape[$0 - 1] })
        for r in 0..<x.rows { for i in 0..<w { output.data[r * w + i] = x.data[r * w + src[i]] } }
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        let x = inputs[0]
        let w = x.width
        let src = sourceIndex(x.shape)
        var d = Batch.zeros(rows: x.rows, shape: x.shape)
        for r in 0..<x.rows { for i in 0..<w { d.data[r * w + src[i]] = gradOut.data[r * w + i] } }
        return ([d], [:])
    }
}
