import Foundation
import Testing

@testable import FairAudit

/// A convolution kernel is used at every output position: its per-sample
/// gradient is the sum over positions, squared only then.
@Suite struct ConvFisherTests {
    static func tensor(_ name: String, _ shape: [Int], _ v: [Float]) -> Tensor { FixerFixtures.tensor(name, shape, v) }

    /// `x (4 steps) → Conv1D (w₀, w₁; 1 filter, no bias) → Flatten → Dense 1 sigmoid (v, b)`:
    /// `z = Σ_t v_t (w₀ x_t + w₁ x_{t+1}) + b`, so `∂ℓ/∂w_i = (p − y) Σ_t v_t x_{t+i}`.
    @Test func conv1DSquaresTheSumOverPositions() throws {
        let w: [Float] = [0.6, -0.8]
        let v: [Float] = [0.5, -1.1, 0.9]
        let b: Float = -0.2
        var input = Layer(name: "in", kind: .input)
        input.shape = [4, 1]
        var conv = Layer(name: "conv", kind: .convolution, weights: [.kernel: "conv/kernel"], className: "Conv1D")
        conv.spatial = SpatialOptions(rank: 1, window: [2], strides: [1])
        let layers = [
            input, conv, Layer(name: "flat", kind: .flatten),
            Layer(
                name: "out", kind: .dense, activation: .sigmoid, units: 1,
                weights: [.kernel: "out/kernel", .bias: "out/bias"]),
        ]
        let graph = ModelGraph(
            format: "t", layout: .kerasWeights,
            tensors: [
                Self.tensor("conv/kernel", [2, 1, 1], w),
                Self.tensor("out/kernel", [3, 1], v), Self.tensor("out/bias", [1], [b]),
            ],
            layers: layers)
        let net = try Network(graph: graph)
        let x: [Float] = [1, -0.5, 2, 0.3, /**/ -1.2, 0.8, 0.4, -2, /**/ 0.6, 1.5, -0.9, 1.1]
        let y: [Float] = [1, 0, 1]
        let fisher = try net.groupFisher(features: x, labels: y, rowGroups: [0, 0, 0], groupNames: ["all"])
        let got = try #require(fisher.values(group: "all", tensor: "conv/kernel"))
        var exact = [Double](repeating: 0, count: 2)
        var shortcut = exact
        for n in 0..<3 {
            let xn = (0..<4).map { Double(x[n * 4 + $0]) }
            var z = Double(b)
            for t in 0..<3 { z += Double(v[t]) * (Double(w[0]) * xn[t] + Double(w[1]) * xn[t + 1]) }
            let d = 1 / (1 + exp(-z)) - Double(y[n])
            for i in 0..<2 {
                var sum = 0.0
                var squares = 0.0
                for t in 0..<3 {
                    let g = d * Double(v[t]) * xn[t + i]
                    sum += g
                    squares += g * g
                }
                exact[i] += sum * sum / 3
                shortcut[i] += squares / 3
            }
        }
        for i in 0..<2 {
            #expect(abs(Double(got[i]) - exact[i]) <= 1e-5 * exact[i], "conv/kernel[\(i)]: \(got[i]) vs \(exact[i])")
            #expect(abs(shortcut[i] - exact[i]) > 0.05 * exact[i], "the case must tell the two apart")
        }
    }

    /// A small CNN (Conv2D same relu → MaxPooling2D → strided DepthwiseConv2D
    /// → SeparableConv2D → GlobalAveragePooling2D → Dense sigmoid): each
    /// group's Fisher of every tensor equals the mean over its rows of the
    /// squared gradient of that row alone (the batch backward on one row).
    @Test func smallCNNEqualsPerRowGradients() throws {
        var rng = SplitMix(state: 41)
        var input = Layer(name: "in", kind: .input)
        input.shape = [6, 6, 2]
        func spatial(
            _ name: String, _ kind: Layer.Kind, _ o: SpatialOptions, _ weights: [ParameterRole: String] = [:],
            activation: Activation = .linear
        ) -> Layer {
            var l = Layer(name: name, kind: kind, activation: activation, weights: weights)
            l.spatial = o
            return l
        }
        let layers = [
            input,
            spatial(
                "c1", .convolution, SpatialOptions(rank: 2, window: [3, 3], strides: [1, 1], padding: .same),
                [.kernel: "c1/kernel", .bias: "c1/bias"], activation: .relu),
            spatial("pool", .maxPooling, SpatialOptions(rank: 2, window: [2, 2])),
            spatial(
                "dw", .depthwiseConvolution, SpatialOptions(rank: 2, window: [2, 2], strides: [2, 2], padding: .same),
                [.kernel: "dw/kernel", .bias: "dw/bias"], activation: .tanh),
            spatial(
                "sep", .separableConvolution,
                SpatialOptions(rank: 2, window: [2, 2], strides: [1, 1], padding: .same),
                [.depthwiseKernel: "sep/dk", .pointwiseKernel: "sep/pk", .bias: "sep/bias"]),
            spatial("gap", .globalAveragePooling, SpatialOptions(rank: 2)),
            Layer(
                name: "out", kind: .dense, activation: .sigmoid, units: 1,
                weights: [.kernel: "out/kernel", .bias: "out/bias"]),
        ]
        let shapes: [(String, [Int])] = [
            ("c1/kernel", [3, 3, 2, 4]), ("c1/bias", [4]), ("dw/kernel", [2, 2, 4, 2]), ("dw/bias", [8]),
            ("sep/dk", [2, 2, 8, 1]), ("sep/pk", [1, 1, 8, 3]), ("sep/bias", [3]),
            ("out/kernel", [3, 1]), ("out/bias", [1]),
        ]
        let tensors = shapes.map { Self.tensor($0.0, $0.1, rng.floats($0.1.reduce(1, *), -0.7, 0.7)) }
        let net = try Network(graph: ModelGraph(format: "t", layout: .kerasWeights, tensors: tensors, layers: layers))
        let rows = 10
        let width = 72
        let x = rng.floats(rows * width, -1.5, 1.5)
        let y: [Float] = (0..<rows).map { Float($0 % 2) }
        let groups = (0..<rows).map { $0 % 3 == 0 ? 1 : 0 }
        let fisher = try net.groupFisher(
            features: x, labels: y, rowGroups: groups, groupNames: ["a", "b"], batchSize: 4)
        var want = [[[Double]]](
            repeating: net.trainableShapes.map { [Double](repeating: 0, count: $0.reduce(1, *)) }, count: 2)
        for r in 0..<rows {
            let one = try net.lossAndGradients(
                features: Array(x[(r * width)..<((r + 1) * width)]), labels: [y[r]], rows: 1)
            for (k, g) in one.gradients.enumerated() {
                for i in g.indices { want[groups[r]][k][i] += Double(g[i]) * Double(g[i]) }
            }
        }
        let counts = [groups.filter { $0 == 0 }.count, groups.filter { $0 == 1 }.count]
        for (gi, group) in ["a", "b"].enumerated() {
            for (k, name) in net.trainableNames.enumerated() {
                let got = try #require(fisher.values(group: group, tensor: name)).map(Double.init)
                let ref = want[gi][k].map { $0 / Double(counts[gi]) }
                #expect((ref.map(abs).max() ?? 0) > 0, "\(group) \(name): the reference is zero")
                #expect(close(got, ref, rtol: 1e-4, atol: 0), "\(group) \(name): \(got.prefix(4)) vs \(ref.prefix(4))")
            }
        }
    }
}
