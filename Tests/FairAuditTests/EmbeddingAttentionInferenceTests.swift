import Foundation
import Testing

@testable import FairAudit

/// The scores' forward pass runs a `MultiHeadAttention` over `Embedding`
/// outputs from the ids, through tables of projected rows
/// (``MultiHeadAttentionOp/forward(ids:embeddings:tables:_:output:cache:)``):
/// its logits must match the traced layer-by-layer forward pass that the
/// Fisher and training use, within float rounding (1e-5, relative to the
/// logit's size), for self- and cross-attention, a key of its own, with and
/// without biases, and where the tables do not pay (the layers run).
struct EmbeddingAttentionInferenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// Embedding node feeding the query, value (and key): 0 the one every model has, 1 and 2 others.
        var sources = [0, 0]
        var steps = 6
        var vocabulary = 11
        var dim = 6
        var heads = 2
        var keyDim = 3
        var valueDim = 5
        var bias = true
        /// The model adds the first embedding to the attention's output (a residual), so it still runs.
        var residual = true
        /// Whether the attention is expected to run from the ids (at 64 rows).
        var fromIds = true
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "self-attention with a residual (the zoo transformer's pattern)"),
        Case(name: "self-attention alone: the embedding is skipped", residual: false),
        Case(name: "no biases", bias: false),
        Case(name: "one head, key size 1, 17 positions (past the register rows)", steps: 17, heads: 1, keyDim: 1),
        Case(name: "cross-attention over a second embedding of the same ids", sources: [0, 1]),
        Case(name: "query, value and key from three embeddings", sources: [0, 1, 2], residual: false),
        Case(name: "a table larger than the batch: the layers", vocabulary: 3000, fromIds: false),
    ]

    static func network(_ c: Case) throws -> Network {
        var rng = SplitMix64(seed: 21)
        func values(_ n: Int, _ scale: Float) -> [Float] {
            (0..<n).map { _ in (Float(rng.next() % 20_001) / 10_000 - 1) * scale }
        }
        var input = Layer(name: "ids", kind: .input)
        input.shape = [c.steps]
        var layers = [input]
        var tensors: [Tensor] = []
        let embeddings = Set(c.sources).sorted()
        for e in embeddings {
            var layer = Layer(name: "emb\(e)", kind: .embedding, weights: [.embeddings: "emb\(e)/embeddings"])
            layer.inbound = ["ids"]
            layers.append(layer)
            tensors.append(
                FixerFixtures.tensor("emb\(e)/embeddings", [c.vocabulary, c.dim], values(c.vocabulary * c.dim, 1)))
        }
        var weights: [ParameterRole: String] = [
            .queryKernel: "mha/q/kernel", .keyKernel: "mha/k/kernel", .valueKernel: "mha/v/kernel",
            .outputKernel: "mha/o/kernel",
        ]
        let shapes: [ParameterRole: [Int]] = [
            .queryKernel: [c.dim, c.heads, c.keyDim], .keyKernel: [c.dim, c.heads, c.keyDim],
            .valueKernel: [c.dim, c.heads, c.valueDim], .outputKernel: [c.heads, c.valueDim, c.dim],
            .queryBias: [c.heads, c.keyDim], .keyBias: [c.heads, c.keyDim], .valueBias: [c.heads, c.valueDim],
            .outputBias: [c.dim],
        ]
        if c.bias {
            weights[.queryBias] = "mha/q/bias"
            weights[.keyBias] = "mha/k/bias"
            weights[.valueBias] = "mha/v/bias"
            weights[.outputBias] = "mha/o/bias"
        }
        for (role, name) in weights.sorted(by: { $0.value < $1.value }) {
            let shape = shapes[role] ?? []
            tensors.append(FixerFixtures.tensor(name, shape, values(shape.reduce(1, *), 0.7)))
        }
        var mha = Layer(name: "mha", kind: .multiHeadAttention, weights: weights)
        mha.attention = AttentionSpec(heads: c.heads, keyDim: c.keyDim, valueDim: c.valueDim, useBias: c.bias)
        mha.inbound = c.sources.map { "emb\($0)" }
        layers.append(mha)
        var last = "mha"
        if c.residual {
            var add = Layer(name: "add", kind: .add)
            add.inbound = ["emb0", "mha"]
            layers.append(add)
            last = "add"
        }
        var pool = Layer(name: "pool", kind: .globalAveragePooling)
        pool.spatial = SpatialOptions(rank: 1)
        pool.inbound = [last]
        var out = Layer(name: "out", kind: .dense, activation: .sigmoid, units: 1, weights: [.kernel: "out/kernel"])
        out.inbound = ["pool"]
        layers += [pool, out]
        tensors.append(FixerFixtures.tensor("out/kernel", [c.dim, 1], values(c.dim, 0.5)))
        return try Network(graph: ModelGraph(format: "t", layout: .kerasWeights, tensors: tensors, layers: layers))
    }

    @Test(arguments: cases)
    func scoresMatchTheLayerByLayerPass(_ c: Case) throws {
        let net = try Self.network(c)
        let rows = 64
        var rng = SplitMix64(seed: 5)
        let ids = (0..<rows * c.steps).map { _ in Float(rng.next() % UInt64(c.vocabulary)) }
        let traced = net.logits(net.forwardTrace(ids, rows: rows))
        let scored = net.logits(ids, rows: rows, chunk: rows)
        #expect(scored.count == traced.count && scored.count == rows)
        for (i, (a, b)) in zip(scored, traced).enumerated() {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "row \(i): \(a) vs \(b)")
        }
        let steps = net.inferenceSteps()
        let fromIds = steps.filter {
            if case .embeddingAttention(_, _, _, let minRows) = $0 { return minRows <= rows }
            return false
        }
        #expect(fromIds.count == (c.fromIds ? 1 : 0))
        let skipped = steps.filter {
            if case .fused = $0 { return true }
            return false
        }
        // Embeddings only the attention reads are skipped; the residual's still runs.
        #expect(skipped.count == (c.fromIds ? Set(c.sources).count - (c.residual ? 1 : 0) : 0))
    }

    @Test("the zoo transformer's predict runs its attention from the ids (ZooConvTests holds its scores to Keras')")
    func zooTransformerRunsFromIds() throws {
        let (_, net, _, _, _) = try ZooTests.load("transformer_k3")
        let minRows = net.inferenceSteps().compactMap {
            if case .embeddingAttention(_, _, _, let minRows) = $0 { return minRows }
            return nil
        }
        #expect(minRows.count == 1)
        #expect(
            minRows.allSatisfy { $0 <= net.forwardBatchRows },
            "tables from \(minRows) rows, batches of \(net.forwardBatchRows)")
    }
}
