import Foundation
import Testing

@testable import FairAudit

/// Small random networks covering every activation, both kernel layouts,
/// batch and layer normalization and every head, for gradient checks.
struct TinyModel: CustomStringConvertible, Sendable {
    enum Norm: String, Sendable { case none, batch, layer }
    var hidden: Activation
    var norm: Norm = .none
    var head: HeadKind = .sigmoid
    var outputs: Int = 1

    var description: String { "\(hidden.rawValue)/\(norm.rawValue)/\(head.rawValue)\(outputs)" }

    /// 5 → Dense 6 (hidden) → [norm] → Activation layer (hidden) → Dense 4 out×in (hidden) → Dense `outputs` (head).
    func build(seed: UInt64 = 7) -> (ModelGraph, [Layer]) {
        var rng = SplitMix(state: seed)
        var ts = [
            tensor("d0/kernel", [5, 6], rng.floats(30, -0.8, 0.8)), tensor("d0/bias", [6], rng.floats(6, -0.3, 0.3)),
            tensor("d1.weight", [4, 6], rng.floats(24, -0.8, 0.8)), tensor("d1.bias", [4], rng.floats(4, -0.3, 0.3)),
            tensor("d2/kernel", [4, outputs], rng.floats(4 * outputs, -1, 1)),
            tensor("d2/bias", [outputs], rng.floats(outputs, -0.2, 0.2)),
        ]
        var layers = [
            Layer(name: "in", kind: .input),
            Layer(
                name: "d0", kind: .dense, activation: hidden, negativeSlope: 0.3, units: 6,
                weights: [.kernel: "d0/kernel", .bias: "d0/bias"]),
        ]
        switch norm {
        case .none: break
        case .batch:
            ts += [
                tensor("bn/gamma", [6], rng.floats(6, 0.5, 1.5)), tensor("bn/beta", [6], rng.floats(6, -0.3, 0.3)),
                tensor("bn/mean", [6], rng.floats(6, -0.2, 0.4)), tensor("bn/var", [6], rng.floats(6, 0.3, 2)),
            ]
            layers.append(
                Layer(
                    name: "bn", kind: .batchNormalization,
                    weights: [.gamma: "bn/gamma", .beta: "bn/beta", .movingMean: "bn/mean", .movingVariance: "bn/var"]))
        case .layer:
            ts += [tensor("ln/gamma", [6], rng.floats(6, 0.5, 1.5)), tensor("ln/beta", [6], rng.floats(6, -0.3, 0.3))]
            layers.append(
                Layer(name: "ln", kind: .layerNormalization, weights: [.gamma: "ln/gamma", .beta: "ln/beta"]))
        }
        let headActivation: Activation = head == .sigmoid ? .sigmoid : head == .softmax ? .softmax : .linear
        layers += [
            Layer(name: "act", kind: .activation, activation: hidden, negativeSlope: 0.3),
            Layer(name: "drop", kind: .dropout),
            Layer(
                name: "d1", kind: .dense, activation: hidden, negativeSlope: 0.3, units: 4,
                weights: [.kernel: "d1.weight", .bias: "d1.bias"], kernelLayout: .outIn),
            Layer(
                name: "d2", kind: .dense, activation: headActivation, units: outputs,
                weights: [.kernel: "d2/kernel", .bias: "d2/bias"]),
        ]
        return (ModelGraph(format: "test", layout: .kerasWeights, tensors: ts, layers: layers), layers)
    }

    /// Rows of 5 features in [−2, 2], alternating labels, groups 0/1/2 in turn.
    static func data(rows: Int, seed: UInt64 = 3) -> (x: [Float], y: [Float], g: [Int]) {
        var rng = SplitMix(state: seed)
        return (rng.floats(rows * 5, -2, 2), (0..<rows).map { Float($0 % 2) }, (0..<rows).map { ($0 / 2) % 3 })
    }

    static let all: [TinyModel] =
        Activation.allCases.map { TinyModel(hidden: $0) }
        + [
            TinyModel(hidden: .tanh, norm: .batch), TinyModel(hidden: .gelu, norm: .layer),
            TinyModel(hidden: .relu, norm: .batch, head: .softmax, outputs: 2),
            TinyModel(hidden: .elu, norm: .layer, head: .softmax, outputs: 2),
            TinyModel(hidden: .swish, head: .linear, outputs: 1), TinyModel(hidden: .selu, head: .linear, outputs: 2),
        ]
}

/// Every tiny model builds a graph the executor accepts, 5 inputs wide with
/// the head it names, and its data has binary labels and three groups.
@Test(arguments: TinyModel.all)
func tinyModelBuildsARunnableNetwork(model: TinyModel) throws {
    let (graph, layers) = model.build()
    for t in graph.tensors { #expect(try t.floatValues().count == t.shape.reduce(1, *), "\(t.name)") }
    let net = try Network(graph: graph, layers: layers)
    #expect(net.inputWidth == 5 && net.outputWidth == model.outputs)
    let (x, y, g) = TinyModel.data(rows: 12)
    #expect(x.count == 60 && Set(y) == [0, 1] && Set(g) == [0, 1, 2])
    let scores = try net.predictScores(features: x, rows: 12)
    #expect(scores.count == 12 && scores.allSatisfy { $0 >= 0 && $0 <= 1 })
}
