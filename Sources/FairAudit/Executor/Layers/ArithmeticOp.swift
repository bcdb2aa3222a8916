import Foundation

/// ONNX `Add`, `Sub`, `Mul`, `Div` with numpy broadcasting: two computed
/// inputs of one rank, or one input and a constant (`c` first or second).
/// `y[i] = a[iₐ] ∘ b[i_b]`, where an operand's index repeats along its
/// axes of size 1 (and the axes it lacks on the left).
///
/// The batch axis is never broadcast: two inputs must have the same rank,
/// and a constant of the full rank must be 1 along the batch axis.
struct ArithmeticOp: LayerOp {
    var operation: Arithmetic
    var constant: ConstantOperand?
    var className: String { ["Add", "Sub", "Mul", "Div"][Arithmetic.allCases.firstIndex(of: operation) ?? 0] }
    var roles: [ParameterRole] { [] }

    /// The constant's per-sample shape: its stored shape with a leading
    /// batch axis of 1 dropped when it has the input's full rank.
    func constantShape(sampleRank: Int) throws -> [Int] {
        guard let c = constant else { return [] }
        if c.shape.count == sampleRank + 1 {
            guard c.shape.first == 1 else {
                throw ShapeError("its constant of shape \(c.shape) would broadcast along the batch axis")
            }
            return Array(c.shape.dropFirst())
        }
        guard c.shape.count <= sampleRank else {
            throw ShapeError("its constant of shape \(c.shape) has more axes than its input")
        }
        return c.shape
    }

    /// The per-sample shapes of the first and second operands.
    func operandShapes(_ inputs: [[Int]]) throws -> (a: [Int], b: [Int]) {
        if let constant {
            try ShapeError.inputs(inputs, 1)
            let c = try constantShape(sampleRank: inputs[0].count)
            return constant.isFirst ? (c, inputs[0]) : (inputs[0], c)
        }
        try ShapeError.inputs(inputs, 2)
        guard inputs[0].count == inputs[1].count else {
            throw ShapeError(
                "combines inputs of ranks \(inputs[0].count + 1) and \(inputs[1].count + 1), which would broadcast along the batch axis"
            )
        }
        return (inputs[0], inputs[1])
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        let (a, b) = try operandShapes(inputs)
        guard let out = Broadcast.shape(a, b) else { throw ShapeError("cannot broadcast shapes \(a) and \(b)") }
        return out
    }

    /// The operand values of row `r` (a constant is the same for every row).
    func operand(_ k: Int, _ inputs: [Batch]) -> (data: [Float], perRow: Int) {
        if let constant {
            if constant.isFirst == (k == 0) { return (constant.values, 0) }
            return (inputs[0].data, inputs[0].width)
        }
        return (inputs[k].data, inputs[k].width)
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        guard let (sa, sb) = try? operandShapes(inputs.map(\.shape)), let shape = Broadcast.shape(sa, sb) else {
            return
        }
        let rows = inputs[0].rows
        output.resize(rows: rows, shape: shape)
        let w = output.width
        let ia = Broadcast.indices(sa, to: shape)
        let ib = Broadcast.indices(sb, to: shape)
        let (a, wa) = operand(0, inputs)
        let (b, wb) = operand(1, inputs)
        let op = operation
        output.data.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows {
                let oa = r * wa
                let ob = r * wb
                let oo = r * w
                switch op {
                case .add: for i in 0..<w { o[oo + i] = a[oa + ia[i]] + b[ob + ib[i]] }
                case .subtract: for i in 0..<w { o[oo + i] = a[oa + ia[i]] - b[ob + ib[i]] }
                case .multiply: for i in 0..<w { o[oo + i] = a[oa + ia[i]] * b[ob + ib[i]] }
                case .divide: for i in 0..<w { o[oo + i] = a[oa + ia[i]] / b[ob + ib[i]] }
                }
            }
        }
    }

    /// `∂y/∂a = 1, 1, b, 1/b` and `∂y/∂b = 1, −1, a, −a/b²`, each summed
    /// over the positions an operand's value was broadcast to.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs, let (sa, sb) = try? operandShapes(inputs.map(\.shape)), let shape = Broadcast.shape(sa, sb)
        else {
            return (inputs.map { _ in nil }, [:])
        }
        let rows = gradOut.rows
        let w = shape.reduce(1, *)
        let ia = Broadcast.indices(sa, to: shape)
        let ib = Broadcast.indices(sb, to: shape)
        let (a, wa) = operand(0, inputs)
        let (b, wb) = operand(1, inputs)
        let g = gradOut.data
        var out: [Batch?] = []
        for k in 0..<2 {
            if let constant, constant.isFirst == (k == 0) { continue }
            let (width, idx, s) = k == 0 ? (wa, ia, sa) : (wb, ib, sb)
            var d = Batch.zeros(rows: rows, shape: s)
            for r in 0..<rows {
                let oa = r * wa
                let ob = r * wb
                let oo = r * w
                let od = r * width
                for i in 0..<w {
                    let gi = g[oo + i]
                    let x = a[oa + ia[i]]
                    let y = b[ob + ib[i]]
                    let v: Float
                    switch (operation, k) {
                    case (.add, _), (.subtract, 0): v = gi
                    case (.subtract, _): v = -gi
                    case (.multiply, 0): v = gi * y
                    case (.multiply, _): v = gi * x
                    case (.divide, 0): v = gi / y
                    case (.divide, _): v = -gi * x / (y * y)
                    }
                    d.data[od + idx[i]] += v
                }
            }
            out.append(d)
        }
        return (out, [:])
    }
}

/// Numpy broadcasting of per-sample shapes (aligned on the right).
enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when an axis differs and neither is 1.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { return nil }
            out.append(x == 1 ? y : x)
        }
        return out
    }

    /// For each element of `shape` (C order), the index of the element of
    /// an operand of shape `s` broadcast to it.
    static func indices(_ s: [Int], to shape: [Int]) -> [Int] {
        let n = shape.reduce(1, *)
        let padded = [Int](repeating: 1, count: shape.count - s.count) + s
        if padded == shape { return Array(0..<n) }
        var strides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = padded[d] == 1 ? 0 : step
            step *= padded[d]
        }
        var out = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: shape.count)
        var at = 0
        for i in 0..<n {
            out[i] = at
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                at += strides[d]
                if index[d] < shape[d] { break }
                at -= strides[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
