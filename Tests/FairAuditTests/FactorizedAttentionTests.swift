import Foundation
import Testing

@testable import FairAudit

/// Attention projections trained through low-rank factors: the factorized
/// layer's gradients with respect to each projection's `A` and `B` against
/// central differences of its forward pass, and the transformer zoo model
/// factorized at full rank predicting what it predicted whole, written back
/// in Keras' `(d, heads, dim)` and `(heads, dim, out)` layouts.
@Suite struct FactorizedAttentionTests {
    /// `op` with the projections `roles` factorized at `rank`, its parameter shapes with the factors'.
    static func factorized(
        _ op: MultiHeadAttentionOp, dq: Int, dv: Int, dk: Int, roles: [ParameterRole], rank: Int
    ) -> (op: FactorizedOp, params: [ParameterRole: [Int]]) {
        var params = AttentionLayerTests.mhaParams(op, dq: dq, dv: dv, dk: dk)
        var factors: [FactorizedOp.Factor] = []
        for role in roles {
            guard let shape = params[role] else { continue }
            let (rows, cols) = op.matrixShape(shape, role: role)
            let f = FactorizedOp.Factor(role: role, rank: rank, shape: shape)
            params[f.a] = [rows, rank]
            params[f.b] = [rank, cols]
            factors.append(f)
        }
        return (FactorizedOp(base: op, factors: factors), params)
    }

    static let cases: [LayerCase] = {
        let all: [ParameterRole] = [.queryKernel, .keyKernel, .valueKernel, .outputKernel]
        let h2 = AttentionLayerTests.mha(2, 3, vd: 2, out: 5)
        let h3 = AttentionLayerTests.mha(3, 2, bias: false)
        let h1 = AttentionLayerTests.mha(1, 3)
        let a = factorized(h2, dq: 3, dv: 2, dk: 2, roles: all, rank: 2)
        let b = factorized(h3, dq: 4, dv: 3, dk: 2, roles: all, rank: 1)
        let c = factorized(h1, dq: 3, dv: 3, dk: 3, roles: [.queryKernel, .outputKernel], rank: 2)
        return [
            LayerCase(
                name: "factorized MHA, all four projections rank 2, 2 heads, cross", op: a.op,
                inputs: [[4, 3], [5, 2]], params: a.params),
            LayerCase(
                name: "factorized MHA, all four projections rank 1, no bias, key of its own", op: b.op,
                inputs: [[2, 4], [3, 3], [3, 2]], params: b.params),
            LayerCase(
                name: "factorized MHA, query and output only (key and value whole), self", op: c.op,
                inputs: [[4, 3], [4, 3]], params: c.params),
        ]
    }()

    @Test("backward (inputs, factors, biases, whole projections) equals central differences", arguments: cases)
    func finiteDifferences(c: LayerCase) throws {
        try LayerGradientTests().finiteDifferences(c: c)
    }

    @Test(
        "per-sample factor gradients match per-row backward passes and the Fisher's weighted squares", arguments: cases)
    func perSampleSquares(c: LayerCase) throws {
        try LayerGradientTests().perSampleSquares(c: c)
    }

    @Test("the matrix views are reshapes: d × heads·dim for query, key, value; heads·dim × out for the output")
    func matrixShapes() {
        let op = AttentionLayerTests.mha(2, 3, vd: 4, out: 5)
        #expect(op.matrixRoles == [.queryKernel, .keyKernel, .valueKernel, .outputKernel])
        #expect(op.matrixShape([6, 2, 3], role: .queryKernel) == (6, 6))
        #expect(op.matrixShape([7, 2, 4], role: .valueKernel) == (7, 8))
        #expect(op.matrixShape([2, 4, 5], role: .outputKernel) == (8, 5))
        for role in op.matrixRoles {
            let (a, b) = role.factorRoles
            #expect(a.isFactor && b.isFactor && a != b && !role.isFactor)
        }
    }

    @Test("the transformer factorized at full rank predicts as before and writes its kernels back in their layout")
    func fullRankTransformer() throws {
        let (graph, _, x, y, _) = try ZooTests.load("transformer_k3")
        var net = try Network(fixing: graph)
        let before = try net.predictScores(features: x, rows: y.count)
        let attention = net.fixerMatrices.filter { $0.className == "MultiHeadAttention" }
        #expect(attention.map(\.role) == [.queryKernel, .keyKernel, .valueKernel, .outputKernel])
        for m in attention {
            let f = try LowRank.factorize(
                net.matrix(m), rows: m.rows, cols: m.cols, rowWeights: nil, rule: .fixed(min(m.rows, m.cols)))
            net.factorize(node: m.node, role: m.role, a: f.a, b: f.b, rank: f.rank)
            // A projection cannot be factorized twice.
            let count = net.values.count
            net.factorize(node: m.node, role: m.role, a: f.a, b: f.b, rank: f.rank)
            #expect(net.values.count == count)
        }
        let node = try #require(attention.first?.node)
        let op = try #require(net.nodes[node].op as? FactorizedOp)
        #expect(op.factors.map(\.role) == attention.map(\.role))
        #expect(attention.allSatisfy { !net.trainable.contains($0.weight) })
        let after = try net.predictScores(features: x, rows: y.count)
        let worst = zip(before, after).map { abs($0 - $1) }.max() ?? .infinity
        #expect(before.count == y.count && worst <= 1e-5, "largest difference \(worst)")

        var written = graph
        try net.write(into: &written)
        for m in attention {
            let name = net.parameterNames[m.weight]
            let old = try graph.tensor(named: name)
            let new = try written.tensor(named: name)
            #expect(new.shape == old.shape && new.dtype == old.dtype, "\(name)")
            let diff = zip(try old.floatValues(), try new.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff <= 1e-5, "\(name): SVD at full rank differs by \(diff)")
        }
    }
}
