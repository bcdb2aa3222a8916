import Foundation
import Testing

@testable import FairAudit

/// A spatial layer case: pooling and max cases get distinct, well-spaced
/// inputs so a finite-difference step never changes which cell is largest.
struct SpatialCase: CustomStringConvertible, Sendable {
    var base: LayerCase
    var spaced = false
    var description: String { base.name }

    init(
        _ name: String, _ op: any LayerOp, _ input: [Int], _ params: [ParameterRole: [Int]] = [:], spaced: Bool = false
    ) {
        base = LayerCase(name: name, op: op, inputs: [input], params: params)
        self.spaced = spaced
    }

    static func o(
        _ rank: Int, _ window: [Int], strides: [Int]? = nil, dilation: [Int]? = nil, _ padding: SpatialPadding = .valid,
        groups: Int = 1
    ) -> SpatialOptions {
        SpatialOptions(
            rank: rank, window: window, strides: strides ?? [Int](repeating: 1, count: rank), dilation: dilation,
            padding: padding, groups: groups)
    }

    static func pool(
        _ rank: Int, _ window: [Int], strides: [Int]? = nil, _ padding: SpatialPadding = .valid
    ) -> SpatialOptions {
        SpatialOptions(rank: rank, window: window, strides: strides, padding: padding)
    }

    static let all: [SpatialCase] = [
        SpatialCase(
            "Conv1D valid", ConvOp(options: o(1, [3]), useBias: true), [6, 2], [.kernel: [3, 2, 3], .bias: [3]]),
        SpatialCase(
            "Conv1D same stride 2", ConvOp(options: o(1, [3], strides: [2], .same), useBias: true), [6, 2],
            [.kernel: [3, 2, 2], .bias: [2]]),
        SpatialCase(
            "Conv1D causal dilation 2", ConvOp(options: o(1, [2], dilation: [2], .causal), useBias: false), [5, 2],
            [.kernel: [2, 2, 2]]),
        SpatialCase(
            "Conv2D valid", ConvOp(options: o(2, [3, 2]), useBias: true), [4, 4, 2],
            [.kernel: [3, 2, 2, 3], .bias: [3]]),
        SpatialCase(
            "Conv2D same stride 2 (asymmetric padding)",
            ConvOp(options: o(2, [3, 3], strides: [2, 2], .same), useBias: true),
            [6, 5, 2], [.kernel: [3, 3, 2, 2], .bias: [2]]),
        SpatialCase(
            "Conv2D dilation 2 same", ConvOp(options: o(2, [2, 2], dilation: [2, 2], .same), useBias: true), [4, 4, 1],
            [.kernel: [2, 2, 1, 2], .bias: [2]]),
        SpatialCase(
            "Conv2D 2 groups no bias", ConvOp(options: o(2, [2, 2], groups: 2), useBias: false), [3, 3, 4],
            [.kernel: [2, 2, 2, 4]]),
        SpatialCase(
            "Conv2D explicit padding", ConvOp(options: o(2, [2, 2], .explicit([[1, 0], [0, 2]])), useBias: true),
            [3, 3, 1],
            [.kernel: [2, 2, 1, 2], .bias: [2]]),
        SpatialCase(
            "Conv2D channels first",
            ChannelsFirstOp(inner: ConvOp(options: o(2, [2, 2], strides: [2, 2], .same), useBias: true)),
            [2, 3, 4], [.kernel: [2, 2, 2, 3], .bias: [3]]),
        SpatialCase(
            "Conv2D (out, in, kh, kw) kernel, 2 groups, channels first, explicit padding",
            ChannelsFirstOp(
                inner: ConvOp(
                    options: o(2, [2, 3], strides: [1, 2], .explicit([[0, 1], [1, 1]]), groups: 2),
                    useBias: true, layout: .outIn)), [4, 3, 4], [.kernel: [4, 2, 2, 3], .bias: [4]]),
        SpatialCase(
            "factorized Conv2D (kh, kw, in, out) kernel, rank 2",
            FactorizedOp(base: ConvOp(options: o(2, [2, 2]), useBias: true), rank: 2, shape: [2, 2, 2, 3]), [3, 3, 2],
            [.kernel: [2, 2, 2, 3], .factorA: [8, 2], .factorB: [2, 3], .bias: [3]]),
        SpatialCase(
            "factorized Conv1D (out, in, k) kernel, rank 2",
            FactorizedOp(
                base: ConvOp(options: o(1, [3], .same), useBias: false, layout: .outIn), rank: 2, shape: [3, 2, 3]),
            [5, 2],
            [.kernel: [3, 2, 3], .factorA: [6, 2], .factorB: [2, 3]]),
        SpatialCase(
            "Conv1D (out, in, k) kernel", ConvOp(options: o(1, [3], .same), useBias: false, layout: .outIn), [5, 2],
            [.kernel: [3, 2, 3]]),
        SpatialCase(
            "DepthwiseConv2D multiplier 2 same stride 2",
            ConvOp(options: o(2, [3, 3], strides: [2, 2], .same), depthwise: true, useBias: true),
            [4, 5, 2], [.kernel: [3, 3, 2, 2], .bias: [4]]),
        SpatialCase(
            "SeparableConv2D multiplier 2 same", SeparableConvOp(options: o(2, [2, 2], .same), useBias: true),
            [3, 4, 2],
            [.depthwiseKernel: [2, 2, 2, 2], .pointwiseKernel: [1, 1, 4, 3], .bias: [3]]),
        SpatialCase("MaxPooling1D", PoolOp(kind: .max, options: pool(1, [2])), [5, 2], spaced: true),
        SpatialCase(
            "MaxPooling2D valid stride 1", PoolOp(kind: .max, options: pool(2, [2, 2], strides: [1, 1])), [3, 4, 2],
            spaced: true),
        SpatialCase(
            "MaxPooling2D same stride 2", PoolOp(kind: .max, options: pool(2, [3, 3], strides: [2, 2], .same)),
            [4, 5, 2], spaced: true),
        SpatialCase(
            "AveragePooling1D same stride 2", PoolOp(kind: .average, options: pool(1, [3], strides: [2], .same)),
            [6, 2]),
        SpatialCase("AveragePooling2D valid", PoolOp(kind: .average, options: pool(2, [2, 2])), [4, 5, 2]),
        SpatialCase(
            "AveragePooling2D same stride 2",
            PoolOp(kind: .average, options: pool(2, [3, 3], strides: [2, 2], .same)), [4, 4, 2]),
        SpatialCase(
            "MaxPooling2D channels first", ChannelsFirstOp(inner: PoolOp(kind: .max, options: pool(2, [2, 2]))),
            [2, 4, 4], spaced: true),
        SpatialCase("GlobalAveragePooling1D", GlobalPoolOp(kind: .average, rank: 1, keepDims: false), [4, 3]),
        SpatialCase(
            "GlobalAveragePooling2D keepdims", GlobalPoolOp(kind: .average, rank: 2, keepDims: true), [3, 2, 2]),
        SpatialCase("GlobalMaxPooling1D", GlobalPoolOp(kind: .max, rank: 1, keepDims: false), [4, 3], spaced: true),
        SpatialCase(
            "GlobalMaxPooling2D keepdims", GlobalPoolOp(kind: .max, rank: 2, keepDims: true), [3, 2, 2], spaced: true),
        SpatialCase("ZeroPadding1D", SpatialMapOp(kind: .zeroPadding, rank: 1, amounts: [[1, 2]], size: [1]), [3, 2]),
        SpatialCase(
            "ZeroPadding2D", SpatialMapOp(kind: .zeroPadding, rank: 2, amounts: [[1, 0], [2, 1]], size: [1, 1]),
            [2, 2, 2]),
        SpatialCase("Cropping1D", SpatialMapOp(kind: .cropping, rank: 1, amounts: [[1, 1]], size: [1]), [4, 2]),
        SpatialCase(
            "Cropping2D", SpatialMapOp(kind: .cropping, rank: 2, amounts: [[0, 1], [1, 1]], size: [1, 1]), [3, 4, 2]),
        SpatialCase("UpSampling1D", SpatialMapOp(kind: .upSampling, rank: 1, amounts: [[0, 0]], size: [2]), [3, 2]),
        SpatialCase(
            "UpSampling2D", SpatialMapOp(kind: .upSampling, rank: 2, amounts: [[0, 0], [0, 0]], size: [2, 3]),
            [2, 2, 2]),
    ]
}

@Suite struct ConvGradientTests {
    static let rows = 3

    /// Random inputs and parameters; spaced cases get a shuffled ramp of distinct values 0.1 apart.
    static func setup(_ c: SpatialCase) -> (inputs: [Batch], params: LayerParams) {
        var (inputs, p) = LayerGradientTests.setup(c.base)
        if c.spaced {
            var rng = SplitMix(state: 31)
            var ramp = (0..<inputs[0].data.count).map { Float($0) * 0.1 - 1 }
            for i in ramp.indices.reversed() { ramp.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            inputs[0].data = ramp
        }
        return (inputs, p)
    }

    @Test(
        "backward equals central differences of the forward pass, each input and parameter", arguments: SpatialCase.all)
    func finiteDifferences(c: SpatialCase) throws {
        let (inputs, p) = Self.setup(c)
        var out = Batch()
        var cache = LayerCache()
        c.base.op.forward(inputs, p, output: &out, cache: &cache)
        let shape = try c.base.op.outputShape(c.base.inputs, params: c.base.params)
        #expect(
            out.shape == shape && out.data.count == Self.rows * shape.reduce(1, *),
            "\(c): shape \(out.shape) vs \(shape)")
        var rng = SplitMix(state: 17)
        let w = rng.floats(out.data.count, -1, 1)
        let (dIn, dParams) = c.base.op.backward(
            Batch(rows: Self.rows, shape: out.shape, data: w), inputs, p, cache: cache,
            needInputs: true, wantParams: true)
        let h: Float = 1e-2
        func check(_ got: Float, _ plus: Double, _ minus: Double, _ what: String) {
            let fd = (plus - minus) / Double(2 * h)
            #expect(abs(Double(got) - fd) <= 2e-3 + 1e-2 * abs(fd), "\(c): \(what): backward \(got), differences \(fd)")
        }
        let d = try #require(dIn[0], "\(c): no input gradient")
        for i in inputs[0].data.indices {
            var a = inputs
            var b = inputs
            a[0].data[i] += h
            b[0].data[i] -= h
            check(
                d.data[i], LayerGradientTests.objective(c.base, a, p, weights: w),
                LayerGradientTests.objective(c.base, b, p, weights: w), "x[\(i)]")
        }
        for role in c.base.params.keys.sorted() where !LayerGradientTests.frozen(c.base.op).contains(role) {
            let g = try #require(dParams[role], "\(c): no gradient for \(role)")
            #expect(g.count == p[role].count)
            for i in p[role].indices {
                var a = p
                var b = p
                a.values[role]?[i] += h
                b.values[role]?[i] -= h
                check(
                    g[i], LayerGradientTests.objective(c.base, inputs, a, weights: w),
                    LayerGradientTests.objective(c.base, inputs, b, weights: w), "\(role)[\(i)]")
            }
        }
    }

    /// An `(out, in, kh, kw)` kernel runs as the same kernel transposed to `(kh, kw, in, out)`.
    @Test func outputFirstKernelEqualsTransposed() throws {
        let (o, ci, kh, kw) = (3, 2, 2, 3)
        var rng = SplitMix(state: 8)
        let oihw = rng.floats(o * ci * kh * kw, -1, 1)
        var hwio = [Float](repeating: 0, count: oihw.count)
        for a in 0..<o {
            for b in 0..<ci {
                for y in 0..<kh {
                    for x in 0..<kw {
                        hwio[((y * kw + x) * ci + b) * o + a] = oihw[((a * ci + b) * kh + y) * kw + x]
                    }
                }
            }
        }
        let opts = SpatialCase.o(2, [kh, kw], .same)
        let x = Batch(rows: 2, shape: [4, 5, ci], data: rng.floats(2 * 4 * 5 * ci, -1, 1))
        var a = Batch()
        var b = Batch()
        var cache = LayerCache()
        ConvOp(options: opts, useBias: false, layout: .outIn).forward(
            [x], LayerParams(values: [.kernel: oihw]), output: &a, cache: &cache)
        ConvOp(options: opts, useBias: false).forward(
            [x], LayerParams(values: [.kernel: hwio]), output: &b, cache: &cache)
        #expect(a.shape == b.shape && !a.data.isEmpty)
        #expect(close(a.data.map(Double.init), b.data.map(Double.init), rtol: 1e-6, atol: 1e-7))
        #expect(
            try ConvOp(options: opts, useBias: false, layout: .outIn).outputShape(
                [[4, 5, ci]], params: [.kernel: [o, ci, kh, kw]]) == [4, 5, o])
    }

    @Test(
        "per-sample gradients are each row's own backward, and the Fisher adds their weighted squares",
        arguments: SpatialCase.all.filter { !$0.base.params.isEmpty })
    func perSampleSquares(c: SpatialCase) throws {
        let (inputs, p) = Self.setup(c)
        var out = Batch()
        var cache = LayerCache()
        c.base.op.forward(inputs, p, output: &out, cache: &cache)
        var rng = SplitMix(state: 23)
        let g = Batch(rows: Self.rows, shape: out.shape, data: rng.floats(out.data.count, -1, 1))
        let roles = c.base.params.keys.sorted().filter { !LayerGradientTests.frozen(c.base.op).contains($0) }
        let weights = Membership(rows: Self.rows, columns: 2, weights: rng.floats(Self.rows * 2, 0.1, 1))
        let sums = FisherSums(counts: roles.map { p[$0].count }, columns: 2)
        c.base.op.accumulateSquaredSampleGrads(
            g, inputs, p, cache: cache, roles: roles, weights: weights,
            into: roles.indices.map { sums.pointer(slot: $0, column: 0) })
        let per = out.data.count / Self.rows
        for (k, role) in roles.enumerated() {
            let n = p[role].count
            var want = [[Double]](repeating: [Double](repeating: 0, count: n), count: 2)
            let s = c.base.op.sampleGradients(g, inputs, p, cache: cache, role: role)
            try #require(s.count == Self.rows * n, "\(c) \(role): \(s.count) per-sample values")
            for r in 0..<Self.rows {
                var only = g
                for i in only.data.indices where i / per != r { only.data[i] = 0 }
                let one = try #require(
                    c.base.op.backward(only, inputs, p, cache: cache, needInputs: false, wantParams: true).params[role])
                for i in 0..<n {
                    #expect(abs(one[i] - s[r * n + i]) <= 1e-5 + 1e-4 * abs(one[i]), "\(c) \(role) row \(r)[\(i)]")
                    for col in 0..<2 {
                        want[col][i] += Double(weights.weights[r * 2 + col]) * Double(one[i]) * Double(one[i])
                    }
                }
            }
            for col in 0..<2 {
                let got = sums.values(slot: k, column: col).map(Double.init)
                #expect(close(got, want[col], rtol: 1e-5, atol: 1e-7), "\(c) \(role) column \(col)")
            }
        }
    }
}
