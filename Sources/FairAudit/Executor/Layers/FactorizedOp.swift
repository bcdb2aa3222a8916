import CBLAS
import Foundation

/// Any matrix-weighted layer (``MatrixWeightedOp``) trained through low-rank
/// factors of one or more of its weights' matrix views, wrapping the op it
/// replaces (as a LoRA adapter wraps a Linear): each factorized weight is
/// `W = stored(A·B)`, `A` `rows × r`, `B` `r × cols`, and the wrapped op
/// runs with it. The stored weights stay, frozen, for write-back as `A·B` in
/// their own layout. An attention layer carries up to four such factors,
/// one per projection (``ParameterRole/factorRoles``).
///
/// Backward runs the wrapped op's backward and maps each weight gradient
/// `G` (matrix view) onto its factors: `∂ℓ/∂A = G Bᵀ`, `∂ℓ/∂B = Aᵀ G`. Every
/// other role (bias, a projection left whole) passes through.
/// ``FactorizedDenseOp`` is the same for a dense layer, computing `(X A) B`
/// without forming `W`.
struct FactorizedOp: LayerOp {
    /// One factorized weight: its role, rank and stored shape.
    struct Factor: Sendable {
        /// The role of the weight the factors replace.
        var role: ParameterRole
        /// The rank `r`.
        var rank: Int
        /// The stored shape of the weight.
        var shape: [Int]
        /// The roles of `A` and `B`.
        var a: ParameterRole { role.factorRoles.a }
        var b: ParameterRole { role.factorRoles.b }
    }

    var base: any MatrixWeightedOp
    var factors: [Factor]

    /// The op with its weight of role `matrixRole` factorized at `rank`.
    init(base: any MatrixWeightedOp, rank: Int, shape: [Int]) {
        self.init(base: base, factors: [Factor(role: base.matrixRole, rank: rank, shape: shape)])
    }

    init(base: any MatrixWeightedOp, factors: [Factor]) {
        self.base = base
        self.factors = factors
    }

    var className: String { base.className }
    var roles: [ParameterRole] { base.roles + factors.flatMap { [$0.a, $0.b] } }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try base.outputShape(inputs, params: params)
    }

    /// `(rows, cols)` of a factor's matrix view.
    func dims(_ f: Factor) -> (rows: Int, cols: Int) { base.matrixShape(f.shape, role: f.role) }

    /// `A·B` of factor `f` in the weight's stored layout.
    func weight(_ f: Factor, _ p: LayerParams) -> [Float] {
        let (rows, cols) = dims(f)
        let a = p[f.a]
        let b = p[f.b]
        guard a.count == rows * f.rank, b.count == f.rank * cols else { return p[f.role] }
        let w = LowRankFactors(rows: rows, cols: cols, rank: f.rank, a: a, b: b, singularValues: []).product()
        return base.stored(w, shape: f.shape, role: f.role)
    }

    /// The parameters with each factorized weight replaced by its `A·B`.
    private func composed(_ p: LayerParams) -> LayerParams {
        var q = p
        for f in factors { q.values[f.role] = weight(f, p) }
        return q
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        base.forward(inputs, composed(p), output: &output, cache: &cache)
    }

    /// `(G Bᵀ, Aᵀ G)` for a gradient `g` of factor `f`'s weight in the stored layout.
    func factorGradients(_ g: [Float], _ f: Factor, _ p: LayerParams) -> (a: [Float], b: [Float]) {
        let (rows, cols) = dims(f)
        let rank = f.rank
        let m = base.matrix(g, shape: f.shape, role: f.role)
        var da = [Float](repeating: 0, count: rows * rank)
        var db = [Float](repeating: 0, count: rank * cols)
        gemm(
            m, transA: false, p[f.b], transB: true, m: rows, n: rank, k: cols, lda: cols, ldb: cols, into: &da,
            beta: 0)
        gemm(
            p[f.a], transA: true, m, transB: false, m: rank, n: cols, k: rows, lda: rank, ldb: cols, into: &db,
            beta: 0)
        return (da, db)
    }

    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        var (dx, grads) = base.backward(
            gradOut, inputs, composed(p), cache: cache, needInputs: needInputs, wantParams: wantParams)
        for f in factors {
            guard let g = grads.removeValue(forKey: f.role) else { continue }
            let (da, db) = factorGradients(g, f, p)
            grads[f.a] = da
            grads[f.b] = db
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
        guard let f = factors.first(where: { $0.a == role || $0.b == role }) else {
            return base.sampleGradients(gradOut, inputs, q, cache: cache, role: role)
        }
        let g = base.sampleGradients(gradOut, inputs, q, cache: cache, role: f.role)
        let rows = gradOut.rows
        let size = g.count / max(rows, 1)
        var out: [Float] = []
        for n in 0..<rows {
            let (da, db) = factorGradients(Array(g[(n * size)..<((n + 1) * size)]), f, p)
            out += role == f.a ? da : db
        }
        return out
    }
}
