import Foundation
import Testing

@testable import FairAudit

/// Where a weight is used at several positions, its per-sample gradient is
/// a sum over positions that must be squared only then. These cases are
/// worked out by hand, and the sum-of-squares shortcut is shown to differ.
@Suite struct SharedWeightFisherTests {
    static func tensor(_ name: String, _ shape: [Int], _ v: [Float]) -> Tensor {
        FixerFixtures.tensor(name, shape, v)
    }

    /// `x (3×2) → Dense 1 per step (w) → Flatten → Dense 1 sigmoid (v, b)`:
    /// `z = Σ_t v_t (x_t · w) + b`, so `∂ℓ/∂w = (p − y) Σ_t v_t x_t`.
    @Test func denseOnStepsSquaresTheSumOverSteps() throws {
        let w: [Float] = [0.7, -0.4]
        let v: [Float] = [0.5, -1.2, 0.9]
        let b: Float = 0.1
        var input = Layer(name: "in", kind: .input)
        input.shape = [3, 2]
        let layers = [
            input,
            Layer(name: "step", kind: .dense, units: 1, weights: [.kernel: "step/kernel"]),
            Layer(name: "flat", kind: .flatten),
            Layer(
                name: "out", kind: .dense, activation: .sigmoid, units: 1,
                weights: [.kernel: "out/kernel", .bias: "out/bias"]),
        ]
        let graph = ModelGraph(
            format: "t", layout: .kerasWeights,
            tensors: [
                Self.tensor("step/kernel", [2, 1], w),
                Self.tensor("out/kernel", [3, 1], v), Self.tensor("out/bias", [1], [b]),
            ],
            layers: layers)
        let net = try Network(graph: graph)
        let x: [Float] = [1, 2, -1, 0.5, 0.3, -2, /**/ 0.2, -0.7, 1.5, 1, -0.4, 0.8, /**/ -1, -1, 2, 0.1, 0.6, 0.9]
        let y: [Float] = [1, 0, 1]
        let fisher = try net.groupFisher(features: x, labels: y, rowGroups: [0, 0, 0], groupNames: ["all"])
        let got = try #require(fisher.values(group: "all", tensor: "step/kernel"))
        var exact = [Double](repeating: 0, count: 2)
        var shortcut = exact
        for n in 0..<3 {
            var z = Double(b)
            for t in 0..<3 {
                z +=
                    Double(v[t])
                    * (Double(x[n * 6 + t * 2]) * Double(w[0]) + Double(x[n * 6 + t * 2 + 1]) * Double(w[1]))
            }
            let d = 1 / (1 + exp(-z)) - Double(y[n])
            for i in 0..<2 {
                var sum = 0.0
                var squares = 0.0
                for t in 0..<3 {
                    let g = d * Double(v[t]) * Double(x[n * 6 + t * 2 + i])
                    sum += g
                    squares += g * g
                }
                exact[i] += sum * sum / 3
                shortcut[i] += squares / 3
            }
        }
        for i in 0..<2 {
            #expect(abs(Double(got[i]) - exact[i]) <= 1e-5 * exact[i], "step/kernel[\(i)]: \(got[i]) vs \(exact[i])")
            #expect(abs(shortcut[i] - exact[i]) > 0.05 * exact[i], "the case must tell the two apart")
        }
    }

    /// Ids `[1, 1, 2]` → Embedding (3×1) → Flatten → Dense 1 sigmoid: row 1
    /// of the table is used twice, its gradient `(p − y)(v_0 + v_1)`.
    @Test func embeddingSquaresTheSumOverRepeatedIds() throws {
        let table: [Float] = [0.3, -0.5, 0.8]
        let v: [Float] = [0.9, 0.6, -0.7]
        var input = Layer(name: "ids", kind: .input)
        input.shape = [3]
        let layers = [
            input, Layer(name: "emb", kind: .embedding, weights: [.embeddings: "emb/embeddings"]),
            Layer(name: "flat", kind: .flatten),
            Layer(name: "out", kind: .dense, activation: .sigmoid, units: 1, weights: [.kernel: "out/kernel"]),
        ]
        let graph = ModelGraph(
            format: "t", layout: .kerasWeights,
            tensors: [
                Self.tensor("emb/embeddings", [3, 1], table),
                Self.tensor("out/kernel", [3, 1], v),
            ], layers: layers)
        let net = try Network(graph: graph)
        let ids: [Float] = [1, 1, 2]
        let fisher = try net.groupFisher(features: ids, labels: [1], rowGroups: [0], groupNames: ["all"])
        let got = try #require(fisher.values(group: "all", tensor: "emb/embeddings"))
        let z = (0..<3).reduce(0.0) { $0 + Double(v[$1]) * Double(table[Int(ids[$1])]) }
        let d = 1 / (1 + exp(-z)) - 1
        let exact: [Double] = [0, pow(d * Double(v[0] + v[1]), 2), pow(d * Double(v[2]), 2)]
        let shortcut = d * d * Double(v[0] * v[0] + v[1] * v[1])
        for i in 0..<3 {
            #expect(abs(Double(got[i]) - exact[i]) <= 1e-6 + 1e-5 * exact[i], "row \(i): \(got[i]) vs \(exact[i])")
        }
        #expect(abs(shortcut - exact[1]) > 0.1 * exact[1])
    }

    /// An id outside the table is an error naming the row, the column and the layer.
    @Test func outOfRangeIdNamesRowAndColumn() throws {
        var input = Layer(name: "ids", kind: .input)
        input.shape = [2]
        let layers = [
            input, Layer(name: "emb", kind: .embedding, weights: [.embeddings: "emb/embeddings"]),
            Layer(name: "flat", kind: .flatten),
            Layer(name: "out", kind: .dense, activation: .sigmoid, units: 1, weights: [.kernel: "out/kernel"]),
        ]
        let graph = ModelGraph(
            format: "t", layout: .kerasWeights,
            tensors: [
                Self.tensor("emb/embeddings", [3, 1], [1, 2, 3]),
                Self.tensor("out/kernel", [2, 1], [1, 1]),
            ], layers: layers)
        let net = try Network(graph: graph)
        #expect(try net.predictScores(features: [0, 2, 1, 1], rows: 2).count == 2)
        let cases: [([Float], Int, Int)] = [
            ([0, 2, 3, 1], 2, 1), ([0, -1, 1, 1], 1, 2), ([0, 1.5, 1, 1], 1, 2), ([0, 1, .nan, 1], 2, 1),
            ([0, 1, 1, .infinity], 2, 2), ([-0.5, 1, 1, 1], 1, 1),
        ]
        for (bad, row, column) in cases {
            #expect {
                _ = try net.predictScores(features: bad, rows: 2)
            } throws: { error in
                let text = "\(error)"
                return text.contains("row \(row), column \(column)") && text.contains("embedding 'emb'")
            }
        }
    }
}
