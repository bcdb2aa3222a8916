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
            guard j < inputs[0].count else { throw ShapeError("target shape \(target) copies axis \(j + 1), which its input \(inputs[0]) lacks") }
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
        let shape = (try? outputShape([inputs[0].shape], params: [:])) ?? [inputs[0].width]
        output = Batch(rows: inputs[0].rows, shape: shape, data: inputs[0].data)
    }

    func backward(_ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
                  needInputs: Bool, wantParams: Bool) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        return ([Batch(rows: gradOut.rows, shape: inputs[0].shape, data: gradOut.data)], [:])
    }
}
