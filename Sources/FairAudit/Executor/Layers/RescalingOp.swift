import Foundation

/// Keras `Rescaling`: `y = x · scale + offset`.
struct RescalingOp: LayerOp {
    var scale: Float
    var offset: Float
    var className: String { "Rescaling" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        return inputs[0]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        output.resize(rows: inputs[0].rows, shape: inputs[0].shape)
        for i in inputs[0].data.indices { output.data[i] = inputs[0].data[i] * scale + offset }
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        var d = gradOut
        for i in d.data.indices { d.data[i] *= scale }
        return ([d], [:])
    }
}
