import CBLAS
import Foundation

/// Any matrix-weighted layer (``MatrixWeightedOp``) trained through low-rank
/// factors of its weight's matrix view, wrapping the op it replaces (as a
/// LoRA adapter wraps a Linear): the weight is `W = stored(A·B)`, `A`
/// `rows × r`, `B` `r × cols`, and the wrapped op runs with it. The stored
/// weight stays, frozen, for write-back as `A·B` in its own layout.
///
/// Backward runs the wrapped op's backward and maps its weight gradient
/// `G` (matrix view) onto the factors: `∂ℓ/∂A = G Bᵀ`, `∂ℓ/∂B = Aᵀ G`. Every
/// other role (bias) passes through. ``FactorizedDenseOp`` is the same for a
/// dense layer, computing `(X A) B` without forming `W`.
struct FactorizedOp: LayerOp {
    var base: any MatrixWeightedOp
    var rank: Int
    /// The stored shape of the factorized weight.
    var shape: [Int]

    var className: String { base.className }
    var roles: [ParameterRole] { base.roles + [.factorA, .factorB] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try base.outputShape(inputs, params: params)
    }

    /// `(rows, cols)` of the matrix view.
    var dims: (rows: Int, cols: Int) { base.matrixShape(shape) }

    /// `A·B` in the stored layout.
    func weight(_ p: LayerParams) -> [Float] {
        let (rows, cols) = dims
        let a = p[.factorA]
        let b = p[.factorB]
        guard a.count == rows * rank, b.count == rank * cols else { return p[base.matrixRole] }
        let w = LowRankFactors(rows: rows, cols: cols, rank: rank, a: a, b: b, singularValues: []).product()
        return base.stored(w, shape: shape)
    }

    /// The parameters with the weight replaced by `A·B`.
    private func composed(_ p: LayerParams) -> LayerParams {
        var q = p
        q.values[base.matrixRole] = weight(p)
        return q
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        base.forward(inputs, composed(p), output: &output, cache: &cache)
    }

    /// `(G Bᵀ, Aᵀ G)` for a weight gradient `g` in the stored layout.
    func factorGradients(_ g: [Float], _ p: LayerParams) -> (a: [Float], b: [Float]) {
        let (rows, cols) = dims
        let m = base.matrix(g, shape: shape)
        var da = [Float](repeating: 0, count: rows * rank)
        var db = [Float](repeating: 0, count: rank * cols)
        gemm(
            m, transA: false, p[.factorB], transB: true, m: rows, n: rank, k: cols, lda: cols, ldb: cols, into: &da,
            beta: 0)
        gemm(
            p[.factorA], transA: true, m, transB: false, m: rank, n: cols, k: rows, lda: rank, ldb: cols, into: &db,
            beta: 0)
        return (da, db)
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        var (dx, grads) = base.backward(
            gradOut, inputs, composed(p), cache: cache, needInputs: needInputs, wantParams: wantParams)
        if let g = grads.removeValue(forKey: base.matrixRole) {
            let (da, db) = factorGradients(g, p)
            grads[.factorA] = da
            grads[.factorB] = db
        }
        return (dx, grads)
    }

    /// Per-sample factor gradients from the wrapped op's per-sample weight
    /// gradients, one row at a time.
    func sampleGradients(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        role: ParameterRole
    ) -> [Float] {
        let q = composed(p)
        guard role == .factorA || role == .factorB else {
            return base.sampleGradients(gradOut, inputs, q, cache: cache, role: role)
        }
        let g = base.sampleGradients(gradOut, inputs, q, cache: cache, role: base.matrixRole)
        let rows = gradOut.rows
        let size = g.count / max(rows, 1)
        var out: [Float] = []
        for n in 0..<rows {
            let (da, db) = factorGradients(Array(g[(n * size)..<((n + 1) * size)]), p)
            out += role == .factorA ? da : db
        }
        return out
    }
}
