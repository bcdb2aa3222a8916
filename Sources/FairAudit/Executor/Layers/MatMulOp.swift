import Foundation

/// ONNX `MatMul` of two computed values (attention's `Q Kᵀ` and `A V`):
/// per sample, `C[…, i, j] = Σₖ A[…, i, k] B[…, k, j]` over the last two
/// axes, the axes before them broadcast as numpy does (an operand's matrix
/// repeats along its axes of size 1).
///
/// Both operands carry the batch axis, so they must have one rank (each at
/// least 2 per sample): otherwise broadcasting would align the batch axis
/// of one with a per-sample axis of the other.
struct MatMulOp: LayerOp {
    var className: String { "MatMul" }
    var roles: [ParameterRole] { [] }

    /// Sizes of one product and, for each matrix of the output, which
    /// matrix of `A` and of `B` it multiplies.
    struct Plan: Equatable {
        var m: Int, k: Int, n: Int
        /// The output's per-sample shape.
        var shape: [Int]
        /// For output matrix `p`: the index of `A`'s and `B`'s matrix.
        var aMatrix: [Int], bMatrix: [Int]
    }

    /// The plan for per-sample operand shapes `a` and `b`; throws naming what does not fit.
    static func plan(_ a: [Int], _ b: [Int]) throws -> Plan {
        guard a.count == b.count else {
            throw ShapeError(
                "multiplies inputs of ranks \(a.count + 1) and \(b.count + 1), which would broadcast along the batch axis"
            )
        }
        guard a.count >= 2 else {
            throw ShapeError("multiplies inputs of rank \(a.count + 1); each needs two axes beside the batch axis")
        }
        let (m, k) = (a[a.count - 2], a[a.count - 1])
        let (k2, n) = (b[b.count - 2], b[b.count - 1])
        guard k == k2 else { throw ShapeError("cannot multiply shapes \(a) and \(b): \(k) ≠ \(k2)") }
        let lead = (Array(a.dropLast(2)), Array(b.dropLast(2)))
        guard let batch = Broadcast.shape(lead.0, lead.1) else {
            throw ShapeError("cannot broadcast the leading axes of \(a) and \(b)")
        }
        return Plan(
            m: m, k: k, n: n, shape: batch + [m, n], aMatrix: Broadcast.indices(lead.0, to: batch),
            bMatrix: Broadcast.indices(lead.1, to: batch))
    }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 2)
        return try Self.plan(inputs[0], inputs[1]).shape
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        guard inputs.count == 2, let plan = try? Self.plan(inputs[0].shape, inputs[1].shape) else { return }
        let rows = inputs[0].rows
        output.resize(rows: rows, shape: plan.shape)
        let (wa, wb, wo) = (inputs[0].width, inputs[1].width, output.width)
        let (m, k, n) = (plan.m, plan.k, plan.n)
        inputs[0].data.withUnsafeBufferPointer { a in
            inputs[1].data.withUnsafeBufferPointer { b in
                output.data.withUnsafeMutableBufferPointer { c in
                    guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
                    for r in 0..<rows {
                        for q in plan.aMatrix.indices {
                            Self.multiply(
                                a + r * wa + plan.aMatrix[q] * m * k, b + r * wb + plan.bMatrix[q] * k * n,
                                c + r * wo + q * m * n, m: m, k: k, n: n)
                        }
                    }
                }
            }
        }
    }

    /// `C = A B` for one `m × k` by `k × n` product: a plain loop for the
    /// small matrices of attention heads, BLAS beyond.
    @inline(__always)
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int
    ) {
        guard m * k * n > 4096 else {
            for i in 0..<m {
                let ci = c + i * n
                for j in 0..<n { ci[j] = 0 }
                for t in 0..<k {
                    let x = a[i * k + t]
                    let bt = b + t * n
                    for j in 0..<n { ci[j] += x * bt[j] }
                }
            }
            return
        }
        gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
    }

    /// `∂ℓ/∂A = G Bᵀ` and `∂ℓ/∂B = Aᵀ G` for each output matrix's gradient
    /// `G`, summed into the operand matrix it was broadcast from.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        guard needInputs, inputs.count == 2, let plan = try? Self.plan(inputs[0].shape, inputs[1].shape) else {
            return (inputs.map { _ in nil }, [:])
        }
        let rows = gradOut.rows
        var da = Batch.zeros(rows: rows, shape: inputs[0].shape)
        var db = Batch.zeros(rows: rows, shape: inputs[1].shape)
        let (wa, wb, wo) = (inputs[0].width, inputs[1].width, gradOut.width)
        let (m, k, n) = (plan.m, plan.k, plan.n)
        inputs[0].data.withUnsafeBufferPointer { a in
            inputs[1].data.withUnsafeBufferPointer { b in
                gradOut.data.withUnsafeBufferPointer { g in
                    da.data.withUnsafeMutableBufferPointer { dA in
                        db.data.withUnsafeMutableBufferPointer { dB in
                            guard let a = a.baseAddress, let b = b.baseAddress, let g = g.baseAddress,
                                let dA = dA.baseAddress, let dB = dB.baseAddress
                            else { return }
                            for r in 0..<rows {
                                for q in plan.aMatrix.indices {
                                    let ao = r * wa + plan.aMatrix[q] * m * k
                                    let bo = r * wb + plan.bMatrix[q] * k * n
                                    let go = g + r * wo + q * m * n
                                    // dA (m × k) += G (m × n) · Bᵀ; dB (k × n) += Aᵀ · G.
                                    gemm(
                                        transA: false, transB: true, m: m, n: k, k: n, a: go, lda: n, b: b + bo,
                                        ldb: n, beta: 1, c: dA + ao, ldc: k)
                                    gemm(
                                        transA: true, transB: false, m: k, n: n, k: m, a: a + ao, lda: k, b: go,
                                        ldb: n, beta: 1, c: dB + bo, ldc: n)
                                }
                            }
                        }
                    }
                }
            }
        }
        return ([da, db], [:])
    }
}
