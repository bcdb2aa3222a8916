import Foundation

/// ONNX `Gather` of a computed value at constant integer indices along one
/// per-sample axis (`x[:, 0]`, a class token): the output replaces that
/// axis by the indices' shape. Indices count from the end when negative.
struct GatherOp: LayerOp {
    /// The axis, counting the batch axis (ONNX `axis`); never 0.
    var axis: Int
    /// The indices and their shape.
    var indices: ConstantOperand
    var className: String { "Gather" }
    var roles: [ParameterRole] { [] }

    /// The per-sample axis for samples of rank `rank`.
    func sampleAxis(rank: Int) -> Int? {
        let full = axis < 0 ? axis + rank + 1 : axis
        return full >= 1 && full <= rank ? full - 1 : nil
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        let s = inputs[0]
        guard let a = sampleAxis(rank: s.count) else {
            throw ShapeError("axis \(axis) is not a per-sample axis of \(s)")
        }
        for i in indices.values where !(Float(-s[a])..<Float(s[a])).contains(i) || i != i.rounded() {
            throw ShapeError("index \(i) is outside axis \(axis) of size \(s[a])")
        }
        return Array(s[..<a]) + indices.shape + Array(s[(a + 1)...])
    }

    /// For each output element, the input element it copies (per sample).
    func sources(_ s: [Int]) -> [Int] {
        guard let a = sampleAxis(rank: s.count) else { return [] }
        let outer = s[..<a].reduce(1, *)
        let inner = s[(a + 1)...].reduce(1, *)
        let size = s[a]
        var out: [Int] = []
        out.reserveCapacity(outer * indices.values.count * inner)
        for o in 0..<outer {
            for v in indices.values {
                let k = Int(v) < 0 ? Int(v) + size : Int(v)
                for j in 0..<inner { out.append((o * size + k) * inner + j) }
            }
        }
        return out
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let src = sources(x.shape)
        let w = x.width
        guard let shape = try? outputShape([x.shape], params: [:]) else { return }
        output.resize(rows: x.rows, shape: shape)
        let n = src.count
        for r in 0..<x.rows { for i in 0..<n { output.data[r * n + i] = x.data[r * w + src[i]] } }
    }

    /// Scatter-adds `g` back to the positions gathered (an index may repeat).
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        let x = inputs[0]
        let src = sources(x.shape)
        let w = x.width
        let n = src.count
        var d = Batch.zeros(rows: x.rows, shape: x.shape)
        for r in 0..<x.rows { for i in 0..<n { d.data[r * w + src[i]] += gradOut.data[r * n + i] } }
        return ([d], [:])
    }
}
