import Foundation
import Testing

@testable import FairAudit

/// One layer type with its input shapes and parameter shapes, for the finite-difference checks.
struct LayerCase: CustomStringConvertible, Sendable {
    var name: String
    var op: any LayerOp
    var inputs: [[Int]]
    var params: [ParameterRole: [Int]] = [:]
    /// Inputs holding integer ids below this bound (an embedding's); no gradient flows into them.
    var ids: [Int: Int] = [:]

    var description: String { name }

    static let all: [LayerCase] =
        [
            LayerCase(
                name: "Dense in×out gelu",
                op: DenseOp(units: 3, layout: .inOut, activation: .gelu, slope: 0.2, useBias: true),
                inputs: [[4]], params: [.kernel: [4, 3], .bias: [3]]),
            LayerCase(
                name: "Dense out×in tanh on (T, d)",
                op: DenseOp(units: 3, layout: .outIn, activation: .tanh, slope: 0.2, useBias: true),
                inputs: [[2, 4]], params: [.kernel: [3, 4], .bias: [3]]),
            LayerCase(
                name: "Dense no bias softmax on (T, U, d)",
                op: DenseOp(units: 3, layout: .inOut, activation: .softmax, slope: 0.2, useBias: false),
                inputs: [[2, 2, 3]], params: [.kernel: [3, 3]]),
            LayerCase(
                name: "factorized Dense sigmoid",
                op: FactorizedDenseOp(
                    base: DenseOp(units: 3, layout: .outIn, activation: .sigmoid, slope: 0.2, useBias: true), rank: 2),
                inputs: [[4]], params: [.kernel: [3, 4], .factorA: [4, 2], .factorB: [2, 3], .bias: [3]]),
            LayerCase(
                name: "generic factorized Dense out×in tanh on (T, d)",
                op: FactorizedOp(
                    base: DenseOp(units: 3, layout: .outIn, activation: .tanh, slope: 0.2, useBias: true), rank: 2,
                    shape: [3, 4]),
                inputs: [[2, 4]], params: [.kernel: [3, 4], .factorA: [4, 2], .factorB: [2, 3], .bias: [3]]),
            LayerCase(
                name: "factorized Embedding",
                op: FactorizedOp(base: EmbeddingOp(inputDim: 5, outputDim: 3), rank: 2, shape: [5, 3]),
                inputs: [[4]], params: [.embeddings: [5, 3], .factorA: [5, 2], .factorB: [2, 3]], ids: [0: 5]),
            LayerCase(
                name: "Embedding", op: EmbeddingOp(inputDim: 5, outputDim: 3), inputs: [[4]],
                params: [.embeddings: [5, 3]], ids: [0: 5]),
            LayerCase(
                name: "BatchNormalization last axis", op: BatchNormalizationOp(epsilon: 1e-3), inputs: [[2, 3]],
                params: [.gamma: [3], .beta: [3], .movingMean: [3], .movingVariance: [3]]),
            LayerCase(
                name: "BatchNormalization axis 1", op: BatchNormalizationOp(axes: [1], epsilon: 1e-3),
                inputs: [[2, 3]],
                params: [.gamma: [2], .beta: [2], .movingMean: [2], .movingVariance: [2]]),
            LayerCase(
                name: "LayerNormalization last axis", op: LayerNormalizationOp(epsilon: 1e-3), inputs: [[5]],
                params: [.gamma: [5], .beta: [5]]),
            LayerCase(
                name: "LayerNormalization axis 1 of (T, d)", op: LayerNormalizationOp(axes: [1], epsilon: 1e-3),
                inputs: [[3, 2]],
                params: [.gamma: [3], .beta: [3]]),
            LayerCase(
                name: "LayerNormalization axes 1, 2", op: LayerNormalizationOp(axes: [1, 2], epsilon: 1e-3),
                inputs: [[2, 3]],
                params: [.gamma: [2, 3]]),
            LayerCase(
                name: "Normalization", op: NormalizationOp(), inputs: [[3]], params: [.mean: [3], .variance: [3]]),
            LayerCase(
                name: "Normalization from config",
                op: NormalizationOp(axes: [1], mean: [0.5, -1], variance: [4, 0.25]), inputs: [[2, 3]]),
            LayerCase(name: "Rescaling", op: RescalingOp(scale: 0.25, offset: -1), inputs: [[3]]),
            LayerCase(name: "Flatten", op: ReshapeOp(target: nil), inputs: [[2, 3]]),
            LayerCase(name: "Reshape", op: ReshapeOp(target: [3, -1]), inputs: [[6]]),
            LayerCase(name: "Permute", op: PermuteOp(dims: [3, 1, 2]), inputs: [[2, 3, 2]]),
            LayerCase(name: "RepeatVector", op: RepeatVectorOp(count: 3), inputs: [[2]]),
            LayerCase(name: "Add", op: MergeOp(kind: .add), inputs: [[3], [3], [3]]),
            LayerCase(name: "Subtract", op: MergeOp(kind: .subtract), inputs: [[2, 2], [2, 2]]),
            LayerCase(name: "Multiply", op: MergeOp(kind: .multiply), inputs: [[3], [3], [3]]),
            LayerCase(name: "Average", op: MergeOp(kind: .average), inputs: [[3], [3]]),
            LayerCase(name: "Maximum", op: MergeOp(kind: .maximum), inputs: [[4], [4], [4]]),
            LayerCase(name: "Minimum", op: MergeOp(kind: .minimum), inputs: [[4], [4]]),
            LayerCase(name: "Concatenate last axis", op: ConcatenateOp(), inputs: [[2], [3]]),
            LayerCase(name: "Concatenate axis 1", op: ConcatenateOp(axis: 1), inputs: [[1, 2], [2, 2]]),
            LayerCase(name: "Dropout (identity)", op: IdentityOp(className: "Dropout"), inputs: [[3]]),
        ]
        + Activation.allCases.filter { $0 != .relu }.map {
            LayerCase(name: "Activation \($0.rawValue)", op: ActivationOp(activation: $0, slope: 0.3), inputs: [[4]])
        }
}

@Suite struct LayerGradientTests {
    static let rows = 3

    /// Random inputs and parameters for a case (variances positive, ids whole).
    static func setup(_ c: LayerCase, seed: UInt64 = 5) -> (inputs: [Batch], params: LayerParams) {
        var rng = SplitMix(state: seed)
        let inputs = c.inputs.enumerated().map { k, shape -> Batch in
            let n = rows * shape.reduce(1, *)
            if let bound = c.ids[k] {
                return Batch(rows: rows, shape: shape, data: (0..<n).map { Float(($0 * 7 + 3) % bound) })
            }
            return Batch(rows: rows, shape: shape, data: rng.floats(n, -1.5, 1.5))
        }
        var p = LayerParams()
        for (role, shape) in c.params {
            let n = shape.reduce(1, *)
            p.values[role] =
                role == .movingVariance || role == .variance ? rng.floats(n, 0.4, 2) : rng.floats(n, -0.9, 0.9)
        }
        return (inputs, p)
    }

    /// The weights a factorized layer keeps frozen (their factors train instead).
    static func frozen(_ op: any LayerOp) -> Set<ParameterRole> {
        if op is FactorizedDenseOp { return [.kernel] }
        return Set((op as? FactorizedOp)?.factors.map(\.role) ?? [])
    }

    /// `L = Σ c ⊙ y`, summed in float64.
    static func objective(_ c: LayerCase, _ inputs: [Batch], _ p: LayerParams, weights w: [Float]) -> Double {
        var out = Batch()
        var cache = LayerCache()
        c.op.forward(inputs, p, output: &out, cache: &cache)
        return zip(out.data, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    @Test("backward equals central differences of the forward pass, each input and parameter", arguments: LayerCase.all)
    func finiteDifferences(c: LayerCase) throws {
        let (inputs, p) = Self.setup(c)
        var out = Batch()
        var cache = LayerCache()
        c.op.forward(inputs, p, output: &out, cache: &cache)
        let expectedShape = try c.op.outputShape(c.inputs, params: c.params)
        #expect(out.shape == expectedShape && out.data.count == Self.rows * expectedShape.reduce(1, *))
        var rng = SplitMix(state: 17)
        let w = rng.floats(out.data.count, -1, 1)
        let g = Batch(rows: Self.rows, shape: out.shape, data: w)
        let (dIn, dParams) = c.op.backward(g, inputs, p, cache: cache, needInputs: true, wantParams: true)
        let h: Float = 1e-2
        func check(_ got: Float, _ plus: Double, _ minus: Double, _ what: String) {
            let fd = (plus - minus) / Double(2 * h)
            #expect(abs(Double(got) - fd) <= 2e-3 + 1e-2 * abs(fd), "\(c): \(what): backward \(got), differences \(fd)")
        }
        var checked = 0
        for k in inputs.indices where c.ids[k] == nil {
            let d = try #require(dIn[k], "\(c): no gradient for input \(k)")
            for i in inputs[k].data.indices {
                var a = inputs
                var b = inputs
                a[k].data[i] += h
                b[k].data[i] -= h
                check(
                    d.data[i], Self.objective(c, a, p, weights: w), Self.objective(c, b, p, weights: w),
                    "input \(k)[\(i)]")
                checked += 1
            }
        }
        for role in c.params.keys.sorted() where role.isTrainable && !Self.frozen(c.op).contains(role) {
            let d = try #require(dParams[role], "\(c): no gradient for \(role)")
            for i in p[role].indices {
                var a = p
                var b = p
                a.values[role]?[i] += h
                b.values[role]?[i] -= h
                check(
                    d[i], Self.objective(c, inputs, a, weights: w), Self.objective(c, inputs, b, weights: w),
                    "\(role)[\(i)]")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test(
        "per-sample gradients sum to the batch gradient, and their weighted squares are what the Fisher adds",
        arguments: LayerCase.all.filter { c in c.params.keys.contains { $0.isTrainable } })
    func perSampleSquares(c: LayerCase) throws {
        let (inputs, p) = Self.setup(c)
        var out = Batch()
        var cache = LayerCache()
        c.op.forward(inputs, p, output: &out, cache: &cache)
        var rng = SplitMix(state: 23)
        let g = Batch(rows: Self.rows, shape: out.shape, data: rng.floats(out.data.count, -1, 1))
        let roles = c.params.keys.sorted().filter { $0.isTrainable && !Self.frozen(c.op).contains($0) }
        let weights = Membership(rows: Self.rows, columns: 2, weights: rng.floats(Self.rows * 2, 0.1, 1))
        let sizes = roles.map { p[$0].count }
        let sums = FisherSums(counts: sizes, columns: 2)
        c.op.accumulateSquaredSampleGrads(
            g, inputs, p, cache: cache, roles: roles, weights: weights,
            into: roles.indices.map { sums.pointer(slot: $0, column: 0) })
        for (k, role) in roles.enumerated() {
            let s = c.op.sampleGradients(g, inputs, p, cache: cache, role: role)
            let n = sizes[k]
            try #require(s.count == Self.rows * n, "\(c) \(role): \(s.count) per-sample values")
            // Row r's gradient is the batch gradient of a delta that is zero outside row r.
            for r in 0..<Self.rows {
                var only = g
                for i in only.data.indices where i / (only.data.count / Self.rows) != r { only.data[i] = 0 }
                let one = try #require(
                    c.op.backward(only, inputs, p, cache: cache, needInputs: false, wantParams: true).params[role])
                for i in 0..<n {
                    #expect(abs(one[i] - s[r * n + i]) <= 1e-5 + 1e-4 * abs(one[i]), "\(c) \(role) row \(r)[\(i)]")
                }
            }
            for col in 0..<2 {
                let got = sums.values(slot: k, column: col)
                for i in 0..<n {
                    var want = 0.0
                    for r in 0..<Self.rows {
                        let v = Double(s[r * n + i])
                        want += Double(weights.weights[r * 2 + col]) * v * v
                    }
                    #expect(
                        abs(Double(got[i]) - want) <= 1e-6 + 1e-4 * want,
                        "\(c) \(role) column \(col)[\(i)]: \(got[i]) vs \(want)")
                }
            }
        }
    }
}
