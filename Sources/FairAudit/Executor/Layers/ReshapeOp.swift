import Foundation

/// Keras `Flatten` (`target` nil) and `Reshape` (`target` with at most one
/// `-1`): the same values in C order under a new per-sample shape. A `0`
/// in the target keeps the input's size on that axis (ONNX `Reshape`).
struct ReshapeOp: LayerOp {
    var target: [Int]?
    var className: String { target == nil ? "Flatten" : "Reshape" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        let n = inputs[0].reduce(1, *)
        guard var target else { return [n] }
        for (j, t) in target.enumerated() where t == 0 {
            guard j < inputs[0].count else {
                throw ShapeError("target shape \(target) copies axis \(j + 1), which its input \(inputs[0]) lacks")
            }
            target[j] = inputs[0][j]
        }
        let known = target.filter { $0 != -1 }.reduce(1, *)
        let unknown = target.filter { $0 == -1 }.count
        guard unknown <= 1, target.allSatisfy({ $0 == -1 || $0 > 0 }), known > 0 else {
            throw ShapeError("target shape \(target) is not a shape (positive sizes and at most one -1)")
        }
        if unknown == 1 {
            guard n % known == 0 else { throw ShapeError("cannot reshape \(inputs[0]) (\(n) values) to \(target)") }
            return target.map { $0 == -1 ? n / known : $0 }
        }
        guard known == n else { throw ShapeError("cannot reshape \(inputs[0]) (\(n) values) to \(target)") }
        return target
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        // The per-sample shape of a value never changes: worked out on the first batch only.
        if output.shape.isEmpty || output.width != x.width {
            output.shape = (try? outputShape([x.shape], params: [:])) ?? [x.width]
        }
        output.rows = x.rows
        Buffers.copy(x.data, into: &output.data)
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        return ([Batch(rows: gradOut.rows, shape: inputs[0].shape, data: gradOut.data)], [:])
    }

    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        gradInputs[0].resize(rows: gradOut.rows, shape: inputs[0].shape)
        Buffers.copy(gradOut.data, into: &gradInputs[0].data)
        hasGradient[0] = true
    }
}
