import Foundation

/// Layers that are the identity at inference: `Dropout`, `AlphaDropout`,
/// `GaussianNoise`, `GaussianDropout`, `SpatialDropout1D/2D/3D`, and an
/// explicit `InputLayer` inside a chain.
struct IdentityOp: LayerOp {
    var className: String
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        return inputs[0]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        output.copy(from: inputs[0])
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        (needInputs ? [gradOut] : [nil], [:])
    }

    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        gradInputs[0].copy(from: gradOut)
        hasGradient[0] = true
    }
}
