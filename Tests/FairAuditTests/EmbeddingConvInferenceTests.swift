import Foundation
import Testing

@testable import FairAudit

/// The scores' forward pass runs an `Embedding` → convolution (→ relu →
/// global max pooling) chain from the ids through a table of row-by-tap
/// products (``ConvOp/forward(ids:embedding:table:_:reluMax:output:cache:)``):
/// its logits must match the traced layer-by-layer forward pass that the
/// Fisher and training use, within float rounding (1e-5, relative to the
/// logit's size), on every geometry the table handles and those it leaves
/// to the layers.
struct EmbeddingConvInferenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// The ids' per-sample shape: steps (Conv1D) or height, width (Conv2D).
        var grid = [9]
        var vocabulary = 7
        var dim = 3
        var filters = 4
        var options: SpatialOptions
        var activation: Activation = .relu
        var pool: Layer.Kind = .globalMaxPooling
        var bias = true
        var layout: KernelLayout = .inOut
        /// Whether the chain is expected to run as one step (at 64 rows).
        var fused = true
        var description: String { name }
    }

    static func o(
        _ window: Int, strides: Int = 1, dilation: Int = 1, _ padding: SpatialPadding = .valid, groups: Int = 1
    ) -> SpatialOptions {
        SpatialOptions(
            rank: 1, window: [window], strides: [strides], dilation: [dilation], padding: padding, groups: groups)
    }

    static let cases: [Case] = [
        Case(name: "same, relu, max pool (the zoo text CNN)", options: o(3, .same)),
        Case(name: "valid, relu, max pool", options: o(3)),
        Case(name: "causal dilation 2, relu, max pool", options: o(2, dilation: 2, .causal)),
        Case(name: "same stride 2, no bias, relu, max pool", options: o(3, strides: 2, .same), bias: false),
        Case(name: "explicit padding, window 4", options: o(4, .explicit([[2, 1]]))),
        Case(name: "(out, in, k) kernel", options: o(3, .same), layout: .outIn),
        Case(name: "linear conv, then max pool (the conv alone fused)", options: o(3, .same), activation: .linear),
        Case(name: "relu, average pool (the conv alone fused)", options: o(3, .same), pool: .globalAveragePooling),
        Case(name: "relu, flatten", options: o(2, .valid), pool: .flatten),
        Case(name: "window longer than the padding gives", grid: [3], options: o(3, .same)),
        Case(
            name: "Conv2D on a grid of ids, same stride 2, relu, max pool", grid: [5, 6],
            options: SpatialOptions(rank: 2, window: [3, 2], strides: [2, 1], padding: .same)),
        Case(
            name: "Conv2D on a grid of ids, dilation 2, flatten", grid: [5, 4],
            options: SpatialOptions(rank: 2, window: [2, 2], strides: [1, 1], dilation: [2, 1]), pool: .flatten),
        Case(name: "a table larger than the batch: the layers", vocabulary: 5000, options: o(3, .same), fused: false),
        Case(name: "2 groups: the layers", dim: 4, options: o(3, .same, groups: 2), fused: false),
    ]

    static func network(_ c: Case) throws -> Network {
        var rng = SplitMix64(seed: 13)
        func values(_ n: Int, _ scale: Float) -> [Float] {
            (0..<n).map { _ in (Float(rng.next() % 20_001) / 10_000 - 1) * scale }
        }
        var input = Layer(name: "ids", kind: .input)
        input.shape = c.grid
        var conv = Layer(
            name: "conv", kind: .convolution, activation: c.activation,
            weights: c.bias ? [.kernel: "conv/kernel", .bias: "conv/bias"] : [.kernel: "conv/kernel"],
            kernelLayout: c.layout)
        conv.spatial = c.options
        var pool = Layer(name: "pool", kind: c.pool)
        if c.pool != .flatten { pool.spatial = SpatialOptions(rank: c.grid.count) }
        let layers = [
            input, Layer(name: "emb", kind: .embedding, weights: [.embeddings: "emb/embeddings"]), conv, pool,
            Layer(name: "out", kind: .dense, activation: .sigmoid, units: 1, weights: [.kernel: "out/kernel"]),
        ]
        let cg = c.dim / c.options.groups
        let window = c.options.window
        let kernelShape = c.layout == .inOut ? window + [cg, c.filters] : [c.filters, cg] + window
        let geometry = try ConvGeometry(shape: c.grid + [c.dim], options: c.options)
        let pooled = c.pool == .flatten ? geometry.outPositions * c.filters : c.filters
        var tensors = [
            FixerFixtures.tensor("emb/embeddings", [c.vocabulary, c.dim], values(c.vocabulary * c.dim, 1)),
            FixerFixtures.tensor("conv/kernel", kernelShape, values(kernelShape.reduce(1, *), 0.8)),
            FixerFixtures.tensor("out/kernel", [pooled, 1], values(pooled, 0.5)),
        ]
        if c.bias { tensors.append(FixerFixtures.tensor("conv/bias", [c.filters], values(c.filters, 0.3))) }
        return try Network(graph: ModelGraph(format: "t", layout: .kerasWeights, tensors: tensors, layers: layers))
    }

    @Test(arguments: cases)
    func scoresMatchTheLayerByLayerPass(_ c: Case) throws {
        let net = try Self.network(c)
        let rows = 64
        var rng = SplitMix64(seed: 7)
        let ids = (0..<rows * c.grid.reduce(1, *)).map { _ in Float(rng.next() % UInt64(c.vocabulary)) }
        let traced = net.logits(net.forwardTrace(ids, rows: rows))
        let scored = net.logits(ids, rows: rows, chunk: rows)
        #expect(scored.count == traced.count)
        for (i, (a, b)) in zip(scored, traced).enumerated() {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "row \(i): \(a) vs \(b)")
        }
        let fusedSteps = net.inferenceSteps().filter {
            if case .embeddingConv(_, _, _, _, let minRows) = $0 { return minRows <= rows }
            return false
        }
        #expect(fusedSteps.count == (c.fused ? 1 : 0))
    }
}
