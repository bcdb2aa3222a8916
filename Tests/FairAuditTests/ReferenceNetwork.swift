import Foundation
import Testing

@testable import FairAudit

/// An independent, plain float64 implementation of the forward pass and the
/// negative log-likelihood, one row at a time, written straight from the
/// formulas (Keras definitions), to check the float32 executor against.
struct ReferenceNetwork {
    var layers: [Layer]
    var params: [String: [Double]]
    var shapes: [String: [Int]]

    init(graph: ModelGraph, layers: [Layer]) throws {
        self.layers = layers
        params = [:]
        shapes = [:]
        for t in graph.tensors {
            params[t.name] = try t.doubleValues()
            shapes[t.name] = t.shape
        }
    }

    static func act(_ a: Activation, _ z: [Double], slope: Double) -> [Double] {
        func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        switch a {
        case .linear: return z
        case .relu: return z.map { max($0, 0) }
        case .sigmoid: return z.map(sig)
        case .tanh: return z.map { Foundation.tanh($0) }
        case .gelu: return z.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        case .geluTanh:
            return z.map {
                0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0)))
            }
        case .elu: return z.map { $0 > 0 ? $0 : exp($0) - 1 }
        case .selu: return z.map { 1.0507009873554805 * ($0 > 0 ? $0 : 1.6732632423543772 * (exp($0) - 1)) }
        case .leakyRelu: return z.map { $0 > 0 ? $0 : slope * $0 }
        case .softplus: return z.map { log(1 + exp($0)) }
        case .swish, .silu: return z.map { $0 * sig($0) }
        case .erf: return z.map { erf($0) }
        case .softmax:
            let m = z.max() ?? 0
            let e = z.map { exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }

    /// The last layer's output (probabilities for sigmoid/softmax heads, logits for linear).
    func output(_ x: [Double]) -> [Double] {
        var a = x
        for l in layers {
            switch l.kind {
            case .input, .dropout, .flatten: continue
            case .activation: a = Self.act(l.activation, a, slope: l.negativeSlope)
            case .dense:
                let k = params[l.weights[.kernel]!]!
                let s = shapes[l.weights[.kernel]!]!
                let (nIn, nOut) = l.kernelLayout == .inOut ? (s[0], s[1]) : (s[1], s[0])
                var z = l.weights[.bias].map { params[$0]! } ?? Array(repeating: 0, count: nOut)
                for j in 0..<nOut {
                    for i in 0..<nIn { z[j] += a[i] * (l.kernelLayout == .inOut ? k[i * nOut + j] : k[j * nIn + i]) }
                }
                a = Self.act(l.activation, z, slope: l.negativeSlope)
            case .batchNormalization, .layerNormalization:
                let n = a.count
                let g = l.weights[.gamma].map { params[$0]! } ?? Array(repeating: 1, count: n)
                let b = l.weights[.beta].map { params[$0]! } ?? Array(repeating: 0, count: n)
                var mean = Array(repeating: 0.0, count: n)
                var variance = Array(repeating: 0.0, count: n)
                if l.kind == .batchNormalization {
                    mean = params[l.weights[.movingMean]!]!
                    variance = params[l.weights[.movingVariance]!]!
                } else {
                    let m = a.reduce(0, +) / Double(n)
                    let v = a.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n)
                    mean = Array(repeating: m, count: n)
                    variance = Array(repeating: v, count: n)
                }
                a = (0..<n).map { g[$0] * (a[$0] - mean[$0]) / (variance[$0] + l.epsilon).squareRoot() + b[$0] }
                a = Self.act(l.activation, a, slope: l.negativeSlope)
            default:
                preconditionFailure("ReferenceNetwork runs dense chains only, not \(l.kind)")
            }
        }
        return a
    }

    /// p(class 1 | x) read from the output as the head defines it.
    func probabilities(_ x: [Double]) -> [Double] {
        let o = output(x)
        let last = layers.last { $0.kind != .dropout && $0.kind != .flatten }
        let headAct = last?.activation ?? .linear
        if headAct == .linear {
            return o.count == 1 ? Self.act(.sigmoid, o, slope: 0) : Self.act(.softmax, o, slope: 0)
        }
        return o
    }

    /// `−log p(y | x)` as a plain log of the probability.
    func loss(_ x: [Double], _ y: Double) -> Double {
        let p = probabilities(x)
        if p.count == 1 { return -log(y == 1 ? p[0] : 1 - p[0]) }
        return -log(p[y == 1 ? 1 : 0])
    }

    func meanLoss(_ xs: [[Double]], _ ys: [Double]) -> Double {
        zip(xs, ys).map { loss($0, $1) }.reduce(0, +) / Double(ys.count)
    }

    /// `∂f/∂θ` for every element of tensor `name` by central differences.
    mutating func finiteDifference(_ name: String, h: Double = 1e-5, _ f: (ReferenceNetwork) -> Double) -> [Double] {
        let base = params[name]!
        return base.indices.map { i in
            params[name]![i] = base[i] + h
            let up = f(self)
            params[name]![i] = base[i] - h
            let down = f(self)
            params[name]![i] = base[i]
            return (up - down) / (2 * h)
        }
    }
}

/// The reference itself, against values worked out by hand, so a slip in the
/// yardstick cannot hide a slip in the executor.
@Test func referenceNetworkMatchesHandWorkedValues() throws {
    // z = x·W + b = 1·1 + (−1)·2 + 0.5 = −0.5; p = σ(−0.5); NLL(y=1) = −log p.
    let k = Tensor(
        name: "k", dtype: .float64, shape: [2, 1],
        storage: .bytes(Tensor.encode([1, 2], dtype: .float64, byteOrder: .little)))
    let b = Tensor(
        name: "b", dtype: .float64, shape: [1],
        storage: .bytes(Tensor.encode([0.5], dtype: .float64, byteOrder: .little)))
    let layers = [Layer(name: "d", kind: .dense, activation: .sigmoid, units: 1, weights: [.kernel: "k", .bias: "b"])]
    let ref = try ReferenceNetwork(
        graph: ModelGraph(format: "t", layout: .kerasWeights, tensors: [k, b]), layers: layers)
    let p = 1 / (1 + exp(0.5))
    #expect(abs(ref.probabilities([1, -1])[0] - p) < 1e-15)
    #expect(abs(ref.loss([1, -1], 1) - 0.9740769841801067) < 1e-12)
    #expect(abs(ref.loss([1, -1], 0) + log(1 - p)) < 1e-12)
    // The same kernel stored out×in gives the same output.
    var outIn = layers
    outIn[0].kernelLayout = .outIn
    let kt = Tensor(
        name: "k", dtype: .float64, shape: [1, 2],
        storage: .bytes(Tensor.encode([1, 2], dtype: .float64, byteOrder: .little)))
    let ref2 = try ReferenceNetwork(
        graph: ModelGraph(format: "t", layout: .kerasWeights, tensors: [kt, b]), layers: outIn)
    #expect(abs(ref2.probabilities([1, -1])[0] - p) < 1e-15)
    // GELU(1) = Φ(1) = 0.8413447460685429; SELU(−1) = 1.0507·1.6733·(e⁻¹ − 1); softmax sums to 1.
    #expect(abs(ReferenceNetwork.act(.gelu, [1], slope: 0)[0] - 0.8413447460685429) < 1e-12)
    #expect(abs(ReferenceNetwork.act(.selu, [-1], slope: 0)[0] + 1.1113307378125625) < 1e-12)
    #expect(abs(ReferenceNetwork.act(.softmax, [1, 2, 3], slope: 0).reduce(0, +) - 1) < 1e-15)
    #expect(ReferenceNetwork.act(.leakyRelu, [-2, 3], slope: 0.3) == [-0.6, 3])
}
