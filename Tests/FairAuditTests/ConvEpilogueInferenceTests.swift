import Foundation
import Testing

@testable import FairAudit

/// The scores' forward pass runs the channel batch normalizations, relus and
/// one `Add` after a convolution on each chunk of its output
/// (``ConvEpilogue``) and gathers the patches from a padded copy of the batch
/// (``Im2Col/gatherPadded``): its logits must match the traced layer-by-layer
/// forward pass that the Fisher and training use, within float rounding
/// (1e-5 relative to the logit's size; the merged multiply-add rounds
/// `(z + b)·s + t` as `z·s + (b s + t)`), on every geometry and chain.
struct ConvEpilogueInferenceTests {
    /// What follows the convolution.
    enum Tail: String, Sendable {
        /// BatchNormalization, relu (the small CNN).
        case bnRelu
        /// relu (the conv's own activation), BatchNormalization (the tf.keras 2 CNN).
        case reluBN
        /// Two conv–BN blocks and an Add skip, relu (the residual CNN).
        case residual
        /// BatchNormalization read by two layers: the chain ends with it.
        case sharedBN
        /// BatchNormalization over the height axis: not per channel, not folded.
        case heightBN
        /// Nothing: the convolution alone.
        case none
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// Per-sample input shape: steps, channels (Conv1D) or height, width, channels (Conv2D).
        var input = [9, 8, 3]
        var filters = 4
        var options: SpatialOptions
        var tail: Tail = .bnRelu
        var bias = true
        var layout: KernelLayout = .inOut
        /// The stages of each convolution's chain the plan must find, in node order.
        var chains: [Int]
        var description: String { name }
    }

    static func o2(
        _ padding: SpatialPadding = .same, window: [Int] = [3, 3], strides: [Int] = [1, 1], dilation: [Int] = [1, 1],
        groups: Int = 1
    ) -> SpatialOptions {
        SpatialOptions(rank: 2, window: window, strides: strides, dilation: dilation, padding: padding, groups: groups)
    }

    static let cases: [Case] = [
        Case(name: "same 3×3, BN, relu (the small CNN)", options: o2(), chains: [2]),
        Case(name: "valid 3×3 stride 2, BN, relu", options: o2(.valid, strides: [2, 2]), chains: [2]),
        Case(name: "same 3×3 stride 2 on an odd size", input: [7, 9, 2], options: o2(strides: [2, 2]), chains: [2]),
        Case(name: "same 2×3, stride (1, 2)", options: o2(window: [2, 3], strides: [1, 2]), chains: [2]),
        Case(name: "dilation (2, 1), same", options: o2(dilation: [2, 1]), chains: [2]),
        Case(name: "dilation (1, 2): the general gather", options: o2(dilation: [1, 2]), chains: [2]),
        Case(name: "explicit padding", options: o2(.explicit([[2, 0], [1, 2]])), chains: [2]),
        Case(name: "2 groups: the general gather", input: [6, 6, 4], options: o2(groups: 2), chains: [2]),
        Case(name: "no bias", options: o2(), bias: false, chains: [2]),
        Case(name: "6 filters: the multiply-add over 12-value periods", filters: 6, options: o2(), chains: [2]),
        Case(name: "5 filters, relu then BN", filters: 5, options: o2(.valid), tail: .reluBN, chains: [2]),
        Case(name: "3 filters, residual blocks", filters: 3, options: o2(), tail: .residual, chains: [2, 3]),
        Case(name: "(out, in, kh, kw) kernel", options: o2(.valid), layout: .outIn, chains: [2]),
        Case(name: "relu then BN (the tf.keras 2 CNN)", options: o2(.valid), tail: .reluBN, chains: [2]),
        Case(name: "no bias, relu then BN", options: o2(), tail: .reluBN, bias: false, chains: [2]),
        Case(
            name: "residual blocks with an Add skip (the residual CNN)", options: o2(), tail: .residual, chains: [2, 3]),
        Case(name: "a BN two layers read", options: o2(), tail: .sharedBN, chains: [1]),
        Case(name: "a BN over the height: not folded", options: o2(), tail: .heightBN, chains: []),
        Case(name: "the convolution alone", options: o2(), tail: .none, chains: []),
        Case(
            name: "Conv1D, causal, dilation 2, BN, relu", input: [11, 3],
            options: SpatialOptions(rank: 1, window: [3], strides: [1], dilation: [2], padding: .causal), chains: [2]),
        Case(
            name: "Conv1D, same, stride 2, relu then BN", input: [10, 5],
            options: SpatialOptions(rank: 1, window: [4], strides: [2], padding: .same), tail: .reluBN, chains: [2]),
    ]

    /// Random values in `[−scale, scale]`.
    struct Values {
        var rng: SplitMix64
        mutating func next(_ n: Int, _ scale: Float, offset: Float = 0) -> [Float] {
            (0..<n).map { _ in offset + (Float(rng.next() % 20_001) / 10_000 - 1) * scale }
        }
    }

    static func network(_ c: Case) throws -> Network {
        var v = Values(rng: SplitMix64(seed: 29))
        var tensors: [Tensor] = []
        var layers: [Layer] = []
        var input = Layer(name: "x", kind: .input)
        input.shape = c.input
        layers.append(input)
        // Each layer reads the one before it unless named (a graph: every layer names its inbound).
        func add(_ layer: Layer, from: [String]? = nil) {
            var l = layer
            l.inbound = from ?? [layers[layers.count - 1].name]
            layers.append(l)
        }
        let channels = c.input.last ?? 1
        func conv(_ name: String, _ cin: Int, activation: Activation = .linear) {
            let options = name == "conv" ? c.options : o2()
            var l = Layer(
                name: name, kind: .convolution, activation: activation,
                weights: c.bias ? [.kernel: "\(name)/kernel", .bias: "\(name)/bias"] : [.kernel: "\(name)/kernel"],
                kernelLayout: c.layout)
            l.spatial = options
            add(l)
            let cg = cin / options.groups
            let shape = c.layout == .inOut ? options.window + [cg, c.filters] : [c.filters, cg] + options.window
            tensors.append(FixerFixtures.tensor("\(name)/kernel", shape, v.next(shape.reduce(1, *), 0.6)))
            if c.bias { tensors.append(FixerFixtures.tensor("\(name)/bias", [c.filters], v.next(c.filters, 0.3))) }
        }
        func bn(_ name: String, count: Int, axes: [Int]? = nil) {
            var l = Layer(
                name: name, kind: .batchNormalization,
                weights: [
                    .gamma: "\(name)/g", .beta: "\(name)/b", .movingMean: "\(name)/m", .movingVariance: "\(name)/v",
                ])
            l.axes = axes
            add(l)
            tensors += [
                FixerFixtures.tensor("\(name)/g", [count], v.next(count, 0.5, offset: 1)),
                FixerFixtures.tensor("\(name)/b", [count], v.next(count, 0.4)),
                FixerFixtures.tensor("\(name)/m", [count], v.next(count, 0.5)),
                FixerFixtures.tensor("\(name)/v", [count], v.next(count, 0.4, offset: 0.6)),
            ]
        }
        let relu = Layer(name: "relu", kind: .activation, activation: .relu)
        switch c.tail {
        case .bnRelu:
            conv("conv", channels)
            bn("bn", count: c.filters)
            add(relu)
        case .reluBN:
            conv("conv", channels, activation: .relu)
            bn("bn", count: c.filters)
        case .residual:
            conv("conv", channels, activation: .relu)
            bn("bn", count: c.filters)
            conv("conv2", c.filters)
            bn("bn2", count: c.filters)
            add(Layer(name: "skip", kind: .add), from: ["bn", "bn2"])
            add(relu)
        case .sharedBN:
            conv("conv", channels)
            bn("bn", count: c.filters)
            add(Layer(name: "twice", kind: .add), from: ["bn", "bn"])
        case .heightBN:
            conv("conv", channels)
            bn("bn", count: c.input[0], axes: [1])  // same padding, stride 1: the input's height
        case .none:
            conv("conv", channels)
        }
        add(Layer(name: "flat", kind: .flatten))
        let width = try ConvGeometry(shape: c.input, options: c.options).outPositions * c.filters
        add(Layer(name: "out", kind: .dense, activation: .sigmoid, units: 1, weights: [.kernel: "out/kernel"]))
        tensors.append(FixerFixtures.tensor("out/kernel", [width, 1], v.next(width, 0.2)))
        return try Network(graph: ModelGraph(format: "t", layout: .kerasWeights, tensors: tensors, layers: layers))
    }

    @Test(arguments: cases)
    func scoresMatchTheLayerByLayerPass(_ c: Case) throws {
        let net = try Self.network(c)
        let rows = 37
        var v = Values(rng: SplitMix64(seed: 5))
        let x = v.next(rows * net.inputWidth, 2)
        let traced = net.logits(net.forwardTrace(x, rows: rows))
        // Batches of 5 and of every row: chunks that end inside a sample and the whole batch at once.
        for chunk in [5, rows] {
            let scored = net.logits(x, rows: rows, chunk: chunk)
            #expect(scored.count == traced.count)
            let worst = zip(scored, traced).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
            #expect(worst <= 1e-5, "chunk \(chunk): largest difference \(worst)")
        }
        let chains = net.inferenceSteps().compactMap { step -> Int? in
            if case .convChain(_, let epilogue) = step { return epilogue.stages.count }
            return nil
        }
        #expect(chains == c.chains)
    }
}
