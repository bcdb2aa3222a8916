import Foundation

/// Keras `EinsumDense` for the equations ``EinsumPlan`` reads: a dense
/// layer on the input's contracted (last) axes, `y = f(x W + b)` with `W`
/// read `K × N` and the bias over the kernel's own output axes.
struct EinsumDenseOp: LayerOp {
    var plan: EinsumPlan
    /// The sizes of the kernel's own output axes (`plan.kernelOwn`), from `output_shape`.
    var ownDims: [Int]
    var activation: Activation
    var useBias: Bool

    var className: String { "EinsumDense" }
    var roles: [ParameterRole] { useBias ? [.kernel, .bias] : [.kernel] }

    /// The same product as a dense layer on `[positions, K]`.
    var dense: DenseOp { DenseOp(units: nil, layout: .inOut, activation: activation, slope: 0.2, useBias: useBias) }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        let x = inputs[0]
        let c = plan.contracted.count
        let equation = "\(plan.elided ? "..." : "")\(plan.free)\(plan.contracted),…"
        if let rank = plan.sampleRank, x.count != rank {
            throw ShapeError("takes inputs of rank \(rank + 1) (\(equation)), got a per-sample shape \(x)")
        }
        guard x.count >= c + (plan.elided ? plan.free.count : 0) else {
            throw ShapeError("cannot contract \(c) axes of an input of shape \(x)")
        }
        guard let k = params[.kernel], k == Array(x.suffix(c)) + ownDims else {
            throw ShapeError("its kernel has shape \(params[.kernel] ?? []), expected \(Array(x.suffix(c)) + ownDims)")
        }
        if let b = params[.bias], b.reduce(1, *) != ownDims.reduce(1, *) {
            throw ShapeError("its bias has shape \(b), expected \(ownDims)")
        }
        return Array(x.dropLast(c)) + ownDims
    }

    /// `batch` viewed as `[positions, K]` (or `[K]` with no free axes).
    func flat(_ batch: Batch, trailing: Int) -> Batch {
        var b = batch
        let free = Array(batch.shape.dropLast(trailing))
        let width = batch.shape.suffix(trailing).reduce(1, *)
        b.shape = free.isEmpty ? [width] : [free.reduce(1, *), width]
        return b
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        dense.forward([flat(x, trailing: plan.contracted.count)], p, output: &output, cache: &cache)
        output.shape = Array(x.shape.dropLast(plan.contracted.count)) + ownDims
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        var (dIn, grads) = dense.backward(
            flat(gradOut, trailing: ownDims.count), [flat(x, trailing: plan.contracted.count)], p,
            cache: cache, needInputs: needInputs, wantParams: wantParams)
        if var dx = dIn.first ?? nil {
            dx.shape = x.shape
            dIn = [dx]
        }
        return (dIn, grads)
    }

    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        dense.sampleGradients(
            flat(gradOut, trailing: ownDims.count), [flat(inputs[0], trailing: plan.contracted.count)], p,
            cache: cache, role: role)
    }

    func accumulateSquaredSampleGrads(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        dense.accumulateSquaredSampleGrads(
            flat(gradOut, trailing: ownDims.count), [flat(inputs[0], trailing: plan.contracted.count)],
            p, cache: cache, roles: roles, weights: weights, into: out)
    }
}
