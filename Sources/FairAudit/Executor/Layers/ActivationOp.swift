import Foundation

/// Keras `Activation`, `ReLU`, `LeakyReLU`, `ELU`, `Softmax` layers:
/// `a = f(x)` element-wise, softmax over the last axis.
struct ActivationOp: LayerOp {
    var activation: Activation
    var slope: Float
    var className: String { "Activation" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        return inputs[0]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        output.resize(rows: inputs[0].rows, shape: inputs[0].shape)
        if activation == .relu {  // one pass, read and written, instead of a copy then a pass
            inputs[0].data.withUnsafeBufferPointer { px in
                output.data.withUnsafeMutableBufferPointer { po in
                    guard let x = px.baseAddress, let o = po.baseAddress else { return }
                    for i in 0..<min(px.count, po.count) { o[i] = Swift.max(x[i], 0) }
                }
            }
            return
        }
        Buffers.copy(inputs[0].data, into: &output.data)
        activation.applyInPlace(&output.data, width: inputs[0].lastAxis, slope: slope)
    }

    /// `∂ℓ/∂x = g ⊙ f′(x)` (softmax: `a ⊙ (g − Σⱼ aⱼ gⱼ)` per vector).
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return ([nil], [:]) }
        let x = inputs[0]
        let d = activation.backward(gradOut.data, z: x.data, width: x.lastAxis, slope: slope)
        return ([Batch(rows: x.rows, shape: x.shape, data: d)], [:])
    }

    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let x = inputs[0]
        gradInputs[0].resize(rows: x.rows, shape: x.shape)
        Buffers.copy(gradOut.data, into: &gradInputs[0].data)
        activation.backwardInPlace(&gradInputs[0].data, z: x.data, width: x.lastAxis, slope: slope)
        hasGradient[0] = true
    }
}
