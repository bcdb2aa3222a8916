import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// MultiHeadAttention, EinsumDense and GELU: backward against central
/// differences, per-sample gradients against per-row backward passes, and
/// forward values against the layers as Keras 3 (JAX) computes them
/// (scripts/fixtures/make_attention_fixtures.py).
@Suite struct AttentionLayerTests {
    static func mha(_ h: Int, _ kd: Int, vd: Int? = nil, out: Int? = nil, bias: Bool = true) -> MultiHeadAttentionOp {
        MultiHeadAttentionOp(spec: AttentionSpec(heads: h, keyDim: kd, valueDim: vd, outputDim: out, useBias: bias))
    }

    /// The parameter shapes of an attention layer on inputs of widths `dq`, `dv`, `dk`.
    static func mhaParams(_ op: MultiHeadAttentionOp, dq: Int, dv: Int, dk: Int) -> [ParameterRole: [Int]] {
        let s = op.spec
        let out = s.outputDim ?? dq
        var p: [ParameterRole: [Int]] = [
            .queryKernel: [dq, s.heads, s.keyDim], .keyKernel: [dk, s.heads, s.keyDim],
            .valueKernel: [dv, s.heads, s.valueDim], .outputKernel: [s.heads, s.valueDim, out],
        ]
        if s.useBias {
            p[.queryBias] = [s.heads, s.keyDim]
            p[.keyBias] = [s.heads, s.keyDim]
            p[.valueBias] = [s.heads, s.valueDim]
            p[.outputBias] = [out]
        }
        return p
    }

    static func einsum(_ eq: String, own: [Int], act: Activation = .linear, bias: Bool = true) throws -> EinsumDenseOp {
        EinsumDenseOp(plan: try #require(EinsumPlan(eq)), ownDims: own, activation: act, useBias: bias)
    }

    static let cases: [LayerCase] = {
        let h1 = mha(1, 3)
        let h2 = mha(2, 3, vd: 2, out: 5)
        let h3 = mha(3, 2, bias: false)
        let h2kv = mha(2, 2, vd: 4)
        var all = [
            LayerCase(
                name: "MHA 1 head, self", op: h1, inputs: [[4, 3], [4, 3]], params: mhaParams(h1, dq: 3, dv: 3, dk: 3)),
            LayerCase(
                name: "MHA 2 heads, value_dim ≠ key_dim, output_shape 5, cross (4 vs 5 positions)", op: h2,
                inputs: [[4, 3], [5, 2]], params: mhaParams(h2, dq: 3, dv: 2, dk: 2)),
            LayerCase(
                name: "MHA 3 heads, no bias, key of its own", op: h3, inputs: [[2, 4], [3, 3], [3, 2]],
                params: mhaParams(h3, dq: 4, dv: 3, dk: 2)),
            LayerCase(
                name: "MHA 2 heads, key_dim 2, value_dim 4", op: h2kv, inputs: [[3, 2], [3, 2]],
                params: mhaParams(h2kv, dq: 2, dv: 2, dk: 2)),
        ]
        let einsums: [(String, [Int], [Int], Activation, Bool)] = [
            ("ab,bc->ac", [4], [3], .linear, true), ("abc,cd->abd", [3, 4], [2], .gelu, true),
            ("abc,cde->abde", [3, 4], [2, 3], .linear, true), ("abcd,cde->abe", [2, 2, 3], [4], .geluTanh, true),
            ("...b,bc->...c", [2, 3], [2], .tanh, false),
        ]
        for (eq, input, own, act, bias) in einsums {
            guard let plan = EinsumPlan(eq) else { continue }
            let c = plan.contracted.count
            var params: [ParameterRole: [Int]] = [.kernel: Array(input.suffix(c)) + own]
            if bias { params[.bias] = own }
            all.append(
                LayerCase(
                    name: "EinsumDense \(eq) \(act.rawValue)\(bias ? "" : " no bias")",
                    op: EinsumDenseOp(plan: plan, ownDims: own, activation: act, useBias: bias),
                    inputs: [input], params: params))
        }
        return all
    }()

    @Test("backward equals central differences, each input and parameter", arguments: cases)
    func finiteDifferences(c: LayerCase) throws {
        try LayerGradientTests().finiteDifferences(c: c)
    }

    @Test(
        "per-sample gradients (sums over positions) match per-row backward passes and the Fisher's weighted squares",
        arguments: cases)
    func perSampleSquares(c: LayerCase) throws {
        try LayerGradientTests().perSampleSquares(c: c)
    }

    @Test(
        "the supported EinsumDense equations parse; others are refused",
        arguments: [
            ("ab,bc->ac", true), ("abc,cd->abd", true), ("abc,cde->abde", true), ("abcd,cde->abe", true),
            ("...b,bc->...c", true), ("abc,dc->abd", false), ("abc,cd->adb", false), ("ab,bc->abc", false),
            ("abc,bcd->ad", true), ("aab,bc->ac", false), ("ab,bc", false),
        ])
    func equations(eq: String, ok: Bool) {
        #expect((EinsumPlan(eq) != nil) == ok, "\(eq)")
    }

    static func fixture() throws -> ModelGraph {
        try Plugins.formats.read(try Fixtures.url("attention/layers_k3", "npz"))
    }

    static func batch(_ g: ModelGraph, _ name: String) throws -> Batch {
        let t = try g.tensor(named: name)
        return Batch(rows: t.shape[0], shape: Array(t.shape.dropFirst()), data: try t.floatValues())
    }

    /// Runs `op` on a fixture case's inputs and weights and compares with Keras' output.
    static func compare(_ op: any LayerOp, case name: String, inputs: [String]) throws {
        let g = try fixture()
        let ins = try inputs.map { try batch(g, "\(name)/\($0)") }
        var p = LayerParams()
        for role in op.roles { p.values[role] = try g.tensor(named: "\(name)/\(role.rawValue)").floatValues() }
        var shapes: [ParameterRole: [Int]] = [:]
        for role in op.roles { shapes[role] = try g.tensor(named: "\(name)/\(role.rawValue)").shape }
        let want = try batch(g, "\(name)/output")
        #expect(try op.outputShape(ins.map(\.shape), params: shapes) == want.shape)
        var out = Batch()
        var cache = LayerCache()
        op.forward(ins, p, output: &out, cache: &cache)
        #expect(out.shape == want.shape && out.data.count == want.data.count)
        let worst = zip(out.data, want.data).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(name): largest difference \(worst)")
    }

    @Test(
        "MultiHeadAttention forward equals Keras 3",
        arguments: [
            ("mha_h1_self", 1, 4, 4, false), ("mha_h2_cross", 2, 3, 5, false), ("mha_h3_nobias_key", 3, 2, 2, true),
        ])
    func attentionForward(name: String, heads: Int, kd: Int, vd: Int, key: Bool) throws {
        let g = try Self.fixture()
        let out = try g.tensor(named: "\(name)/output").shape.last
        let op = Self.mha(heads, kd, vd: vd, out: out, bias: name != "mha_h3_nobias_key")
        try Self.compare(op, case: name, inputs: key ? ["query", "value", "key"] : ["query", "value"])
    }

    @Test(
        "EinsumDense forward equals Keras 3",
        arguments: [
            ("einsum_ab_bc", "ab,bc->ac", [4], Activation.linear), ("einsum_abc_cd", "abc,cd->abd", [3], .gelu),
            ("einsum_abc_cde", "abc,cde->abde", [2, 3], .linear), ("einsum_abcd_cde", "abcd,cde->abe", [6], .linear),
            ("einsum_ellipsis", "...b,bc->...c", [4], .tanh),
        ])
    func einsumForward(name: String, eq: String, own: [Int], act: Activation) throws {
        try Self.compare(
            try Self.einsum(eq, own: own, act: act, bias: name != "einsum_ellipsis"), case: name, inputs: ["input"])
    }

    @Test("GELU, exact and tanh approximation, equals Keras 3; the two differ")
    func geluForward() throws {
        let g = try Self.fixture()
        let x = try g.tensor(named: "gelu/x").floatValues()
        let exact = Activation.gelu.apply(x, width: x.count, slope: 0)
        let tanh = Activation.geluTanh.apply(x, width: x.count, slope: 0)
        let wantExact = try g.tensor(named: "gelu/exact").floatValues()
        let wantTanh = try g.tensor(named: "gelu/tanh").floatValues()
        #expect(zip(exact, wantExact).allSatisfy { abs($0 - $1) <= 1e-6 * (1 + abs($1)) })
        #expect(zip(tanh, wantTanh).allSatisfy { abs($0 - $1) <= 1e-6 * (1 + abs($1)) })
        #expect(zip(wantExact, wantTanh).contains { abs($0 - $1) > 1e-4 }, "the fixture must tell the two forms apart")
    }
}
