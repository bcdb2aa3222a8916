import Foundation

/// ONNX `Squeeze` and `Unsqueeze`: the same values in C order with size-1
/// axes removed or inserted at `axes`, which count the batch axis (0, never
/// touched) as ONNX does; negative axes count from the end. `Squeeze`
/// without axes removes every per-sample axis of size 1.
struct SqueezeOp: LayerOp {
    var inserts: Bool
    var axes: [Int]?
    var className: String { inserts ? "Unsqueeze" : "Squeeze" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        let shape = inputs[0]
        if inserts {
            let rank = shape.count + 1 + (axes?.count ?? 0)
            let full = try normalized(rank: rank)
            var out: [Int] = []
            var source = shape.makeIterator()
            for d in 1..<rank { out.append(full.contains(d) ? 1 : (source.next() ?? 1)) }
            return out
        }
        guard axes != nil else { return shape.filter { $0 != 1 } }
        let full = try normalized(rank: shape.count + 1)
        for d in full where shape[d - 1] != 1 {
            throw ShapeError("squeezes axis \(d) of its input \(shape), which has size \(shape[d - 1]), not 1")
        }
        return shape.enumerated().filter { !full.contains($0.offset + 1) }.map(\.element)
    }

    /// The axes as non-negative full-rank axes; the batch axis and repeats are refused.
    func normalized(rank: Int) throws -> Set<Int> {
        var out = Set<Int>()
        for a in axes ?? [] {
            let full = a < 0 ? a + rank : a
            guard full >= 1, full < rank else {
                throw ShapeError(full == 0 ? "would change the batch axis" : "axis \(a) is outside rank \(rank)")
            }
            guard out.insert(full).inserted else { throw ShapeError("names axis \(a) twice") }
        }
        return out
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let shape = (try? outputShape([inputs[0].shape], params: [:])) ?? inputs[0].shape
        output = Batch(rows: inputs[0].rows, shape: shape, data: inputs[0].data)
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        return ([Batch(rows: gradOut.rows, shape: inputs[0].shape, data: gradOut.data)], [:])
    }
}
