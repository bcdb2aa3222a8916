import Foundation

/// Keras `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`:
/// element-wise over inputs of one shape (`Subtract` takes exactly two).
struct MergeOp: LayerOp {
    enum Kind: String, Sendable { case add, subtract, multiply, average, maximum, minimum }
    var kind: Kind
    var className: String { kind == .add ? "Add" : kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst() }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        if kind == .subtract { try ShapeError.inputs(inputs, 2) }
        guard inputs.count >= 2 else { throw ShapeError("merges at least 2 inputs, got \(inputs.count)") }
        guard inputs.allSatisfy({ $0 == inputs[0] }) else {
            throw ShapeError("merges inputs of different shapes \(inputs)")
        }
        return inputs[0]
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let first = inputs[0]
        output.rows = first.rows
        if output.shape != first.shape { output.shape = first.shape }
        Buffers.resize(&output.data, first.data.count)
        let n = output.data.count
        let kind = self.kind
        output.data.withUnsafeMutableBufferPointer { po in
            guard let o = po.baseAddress else { return }
            // The first two inputs merge straight into the output (no copy of the first), the rest onto it.
            first.data.withUnsafeBufferPointer { pf in
                guard let f = pf.baseAddress, pf.count >= n else { return }
                for (k, x) in inputs.enumerated().dropFirst() {
                    x.data.withUnsafeBufferPointer { px in
                        guard let v = px.baseAddress, px.count >= n else { return }
                        Self.merge(kind, k == 1 ? f : UnsafePointer(o), v, into: o, count: n)
                    }
                }
            }
            if kind == .average {
                let s = 1 / Float(inputs.count)
                for i in 0..<n { o[i] *= s }
            }
        }
    }

    /// `o[i] = a[i] ∘ v[i]` for the merge `kind` (`o` may be `a`).
    @inline(__always) static func merge(
        _ kind: Kind, _ a: UnsafePointer<Float>, _ v: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>,
        count n: Int
    ) {
        switch kind {
        case .add, .average: for i in 0..<n { o[i] = a[i] + v[i] }
        case .subtract: for i in 0..<n { o[i] = a[i] - v[i] }
        case .multiply: for i in 0..<n { o[i] = a[i] * v[i] }
        case .maximum: for i in 0..<n { o[i] = max(a[i], v[i]) }
        case .minimum: for i in 0..<n { o[i] = min(a[i], v[i]) }
        }
    }

    /// Add: `g` to each; Subtract: `g`, `−g`; Average: `g/n`; Multiply:
    /// `g ⊙ Π_{j≠k} x_j`; Maximum/Minimum: `g` to the first input holding the extreme.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs else { return (inputs.map { _ in nil }, [:]) }
        let n = gradOut.data.count
        switch kind {
        case .add: return (inputs.map { _ in gradOut }, [:])
        case .subtract:
            var neg = gradOut
            for i in 0..<n { neg.data[i] = -neg.data[i] }
            return ([gradOut, neg], [:])
        case .average:
            var g = gradOut
            let s = 1 / Float(inputs.count)
            for i in 0..<n { g.data[i] *= s }
            return (inputs.map { _ in g }, [:])
        case .multiply:
            return (
                inputs.indices.map { k in
                    var g = gradOut
                    for (j, x) in inputs.enumerated() where j != k { for i in 0..<n { g.data[i] *= x.data[i] } }
                    return g
                }, [:]
            )
        case .maximum, .minimum:
            var out = inputs.map { Batch.zeros(rows: $0.rows, shape: $0.shape) }
            for i in 0..<n {
                var best = 0
                for k in 1..<inputs.count {
                    let v = inputs[k].data[i]
                    let b = inputs[best].data[i]
                    if kind == .maximum ? v > b : v < b { best = k }
                }
                out[best].data[i] = gradOut.data[i]
            }
            return (out, [:])
        }
    }

    /// Add, Subtract and Average write `±g` or `g/n` into the reused
    /// batches; the others go through ``backward``.
    func backwardInputs(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        into gradInputs: inout [Batch], hasGradient: inout [Bool]
    ) {
        let scale: (Int) -> Float
        switch kind {
        case .add: scale = { _ in 1 }
        case .subtract: scale = { $0 == 0 ? 1 : -1 }
        case .average:
            let s = 1 / Float(inputs.count)
            scale = { _ in s }
        case .multiply, .maximum, .minimum:
            let (d, _) = backward(gradOut, inputs, p, cache: cache, needInputs: true, wantParams: false)
            for k in inputs.indices {
                if let g = d[k] {
                    gradInputs[k].copy(from: g)
                    hasGradient[k] = true
                } else {
                    hasGradient[k] = false
                }
            }
            return
        }
        for k in inputs.indices {
            gradInputs[k].copy(from: gradOut)
            let s = scale(k)
            if s != 1 { gradInputs[k].data.withUnsafeMutableBufferPointer { d in for i in d.indices { d[i] *= s } } }
            hasGradient[k] = true
        }
    }
}
