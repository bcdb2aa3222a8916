import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit
@testable import FormatONNX

/// `MatMul` of two computed values: the op against a plain triple loop and
/// finite differences, and torch's multi-query attention block
/// (scripts/fixtures/make_onnx_attention.py) against onnxruntime.
@Suite struct ONNXMatMulTests {
    /// Per-sample operand shapes: equal leading axes, `B` broadcast, `A` broadcast, both, no leading axes.
    static let shapes: [([Int], [Int])] = [
        ([2, 3, 4], [2, 4, 5]), ([3, 3, 4], [1, 4, 2]), ([1, 2, 5], [3, 5, 3]), ([2, 1, 2, 3], [1, 3, 3, 2]),
        ([3, 4], [4, 2]),
    ]

    /// Deterministic values in [−1, 1).
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<n).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Double(s >> 11) / Double(1 << 53)) * 2 - 1
        }
    }

    /// `C[r, i…] = Σₖ A[r, …, i, k] B[r, …, k, j]` in double with every index worked out by hand.
    static func reference(_ a: Batch, _ b: Batch) -> [Double] {
        let ra = a.shape.count
        let (m, k, n) = (a.shape[ra - 2], a.shape[ra - 1], b.shape[ra - 1])
        let lead = zip(a.shape.dropLast(2), b.shape.dropLast(2)).map { max($0, $1) }
        let count = lead.reduce(1, *)
        var out: [Double] = []
        for r in 0..<a.rows {
            for q in 0..<count {
                var rest = q
                var idx = [Int](repeating: 0, count: lead.count)
                for d in stride(from: lead.count - 1, through: 0, by: -1) {
                    idx[d] = rest % lead[d]
                    rest /= lead[d]
                }
                func matrix(_ shape: [Int]) -> Int {
                    var at = 0
                    for d in idx.indices { at = at * shape[d] + (shape[d] == 1 ? 0 : idx[d]) }
                    return at
                }
                let ao = r * a.width + matrix(a.shape) * m * k
                let bo = r * b.width + matrix(b.shape) * k * n
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for t in 0..<k { sum += Double(a.data[ao + i * k + t]) * Double(b.data[bo + t * n + j]) }
                        out.append(sum)
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: shapes.indices)
    func forwardEqualsTripleLoop(_ c: Int) throws {
        let (sa, sb) = Self.shapes[c]
        let rows = 3
        let a = Batch(rows: rows, shape: sa, data: Self.values(rows * sa.reduce(1, *), seed: 1))
        let b = Batch(rows: rows, shape: sb, data: Self.values(rows * sb.reduce(1, *), seed: 2))
        let op = MatMulOp()
        var out = Batch()
        var cache = LayerCache()
        op.forward([a, b], LayerParams(), output: &out, cache: &cache)
        let want = Self.reference(a, b)
        #expect(out.shape == (try op.outputShape([sa, sb], params: [:])))
        #expect(out.data.count == want.count)
        let worst = zip(out.data, want).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(sa) × \(sb): largest difference \(worst)")
    }

    /// Both inputs' gradients of `ℓ = Σ G ⊙ C` against central differences, where the broadcast operand sums over the positions it repeats along.
    @Test(arguments: shapes.indices)
    func backwardMatchesFiniteDifferences(_ c: Int) throws {
        let (sa, sb) = Self.shapes[c]
        let rows = 2
        let inputs = [
            Batch(rows: rows, shape: sa, data: Self.values(rows * sa.reduce(1, *), seed: 3)),
            Batch(rows: rows, shape: sb, data: Self.values(rows * sb.reduce(1, *), seed: 4)),
        ]
        let op = MatMulOp()
        let shape = try op.outputShape([sa, sb], params: [:])
        let g = Batch(rows: rows, shape: shape, data: Self.values(rows * shape.reduce(1, *), seed: 5))
        func loss(_ x: [Batch]) -> Double {
            var out = Batch()
            var cache = LayerCache()
            op.forward(x, LayerParams(), output: &out, cache: &cache)
            return zip(out.data, g.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let (grads, _) = op.backward(
            g, inputs, LayerParams(), cache: LayerCache(), needInputs: true, wantParams: false)
        for k in 0..<2 {
            let d = try #require(grads[k])
            #expect(d.shape == inputs[k].shape && d.rows == rows)
            for i in inputs[k].data.indices {
                let h: Float = 1e-2
                var plus = inputs
                var minus = inputs
                plus[k].data[i] += h
                minus[k].data[i] -= h
                let fd = (loss(plus) - loss(minus)) / Double(2 * h)
                #expect(
                    abs(fd - Double(d.data[i])) <= 1e-3 + 1e-3 * abs(fd),
                    "\(sa) × \(sb) input \(k)[\(i)]: finite difference \(fd), backward \(d.data[i])")
            }
        }
    }

    /// Different ranks, a rank-2 pair and mismatched inner sizes are refused.
    @Test func shapesThatDoNotMultiplyAreRefused() {
        let op = MatMulOp()
        for (a, b) in [([2, 3, 4], [4, 5]), ([4], [4]), ([3, 4], [5, 2]), ([2, 3, 4], [3, 4, 5])] {
            #expect(throws: ShapeError.self, "\(a) × \(b)") { try op.outputShape([a, b], params: [:]) }
        }
    }

    /// attention.csv's 32 feature columns.
    static func attentionRows() throws -> (features: [Float], rows: Int) {
        let text = try String(contentsOf: ONNXFixtures.url("attention.csv"), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline)
        let header = lines.removeFirst().split(separator: ",")
        #expect(header.count == 34 && header.suffix(2) == ["income", "sex"])
        var x: [Float] = []
        for line in lines {
            let cells = line.split(separator: ",")
            for c in 0..<32 { x.append(try #require(Float(String(cells[c])))) }
        }
        return (x, lines.count)
    }

    /// torch.onnx.export of multi-query self-attention: two MatMuls of computed values, one head broadcast against two.
    @Test func torchAttentionBlockPredictsAsOnnxruntime() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("attention_torch.onnx"))
        let layers = try #require(graph.layers, "\(graph.architectureNote ?? "")")
        #expect(layers.filter { $0.kind == .matMul }.count == 2)
        for kind: Layer.Kind in [.reshape, .permute, .unsqueeze, .dense, .activation, .layerNormalization, .arithmetic]
        {
            #expect(layers.contains { $0.kind == kind }, "no \(kind) layer")
        }
        let net = try Network(graph: graph)
        let (x, rows) = try Self.attentionRows()
        let scores = try net.predictScores(features: x, rows: rows)
        let ort = try ONNXFixtures.f32("attention_torch_ort.f32")
        let worst = scores.count == ort.count ? zip(scores, ort).map { abs($0 - $1) }.max() ?? 0 : .infinity
        #expect(rows == 400 && worst <= 1e-5, "largest difference from onnxruntime: \(worst)")
    }

    /// Gradients of the query, key and value projections (each reaching the loss through a MatMul of computed values) against finite differences.
    @Test func attentionGradientsMatchFiniteDifferences() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.url("attention_torch.onnx"))
        let layers = try #require(graph.layers)
        var net = try Network(graph: graph)
        let (all, _) = try Self.attentionRows()
        let rows = 8
        let x = Array(all.prefix(rows * 32))
        let labels: [Float] = [1, 0, 1, 1, 0, 0, 1, 0]
        let grads = try net.lossAndGradients(features: x, labels: labels, rows: rows).gradients
        let names = net.trainableNames
        for projection in ["/q/MatMul", "/k/MatMul", "/v/MatMul"] {
            let name = try #require(layers.first { $0.name == projection }?.weights[.kernel], "no \(projection)")
            let k = try #require(names.firstIndex(of: name))
            let values = try net.parameter(name)
            for i in [0, values.count / 3, values.count - 1] {
                let h: Float = 1e-2
                var v = values
                v[i] += h
                try net.setParameter(name, v)
                let up = try net.lossAndGradients(features: x, labels: labels, rows: rows).loss
                v[i] -= 2 * h
                try net.setParameter(name, v)
                let down = try net.lossAndGradients(features: x, labels: labels, rows: rows).loss
                try net.setParameter(name, values)
                let fd = Float((up - down) / Double(2 * h))
                #expect(
                    abs(fd - grads[k][i]) <= 2e-3 + 2e-2 * abs(fd),
                    "\(projection) \(name)[\(i)]: finite difference \(fd), backward \(grads[k][i])")
                #expect(abs(grads[k][i]) > 1e-6, "\(name)[\(i)] has no gradient to check")
            }
        }
    }
}
