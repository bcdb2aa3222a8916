import Foundation
import Testing

@testable import FairAudit

/// The channels-first forward pass of convolution and pooling (ONNX's NCHW
/// and NCL, run as stored) against the channels-last ops run on the samples
/// with their channel axis moved last and back.
@Suite struct ONNXChannelsFirstTests {
    /// An op, its per-sample channels-first input shape and its kernel's shape (OIHW; none for pooling).
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var op: ChannelsFirstOp
        var shape: [Int]
        var kernel: [Int]?
        var bias = true
        var testDescription: String { name }
    }

    static func conv(
        _ window: [Int], strides: [Int], dilation: [Int]? = nil, padding: SpatialPadding, bias: Bool = true
    ) -> ChannelsFirstOp {
        let o = SpatialOptions(
            rank: window.count, window: window, strides: strides, dilation: dilation, padding: padding,
            dataFormat: .channelsFirst)
        return ChannelsFirstOp(inner: ConvOp(options: o, useBias: bias, layout: .outIn))
    }

    static func pool(_ kind: PoolOp.Kind, _ window: [Int], strides: [Int], padding: SpatialPadding) -> ChannelsFirstOp {
        let o = SpatialOptions(
            rank: window.count, window: window, strides: strides, padding: padding, dataFormat: .channelsFirst)
        return ChannelsFirstOp(inner: PoolOp(kind: kind, options: o))
    }

    static let cases: [Case] = [
        Case(
            name: "conv 3x3 pad 1", op: conv([3, 3], strides: [1, 1], padding: .explicit([[1, 1], [1, 1]])),
            shape: [1, 8, 8], kernel: [4, 1, 3, 3]),
        Case(
            name: "conv 3x2 stride 2, uneven pads, no bias",
            op: conv([3, 2], strides: [2, 2], padding: .explicit([[0, 2], [1, 0]]), bias: false),
            shape: [3, 7, 6], kernel: [5, 3, 3, 2], bias: false),
        Case(
            name: "conv dilated, same", op: conv([3, 3], strides: [1, 2], dilation: [2, 1], padding: .same),
            shape: [2, 9, 7], kernel: [3, 2, 3, 3]),
        Case(
            name: "conv 1-D stride 3", op: conv([4], strides: [3], padding: .explicit([[2, 1]])), shape: [2, 11],
            kernel: [3, 2, 4]),
        Case(
            name: "conv 3x3 dilated 2, same, stride 1",
            op: conv([3, 3], strides: [1, 1], dilation: [2, 2], padding: .same), shape: [2, 9, 7],
            kernel: [3, 2, 3, 3]),
        Case(
            name: "conv 5x3, rows unpadded, columns padded",
            op: conv([5, 3], strides: [1, 1], padding: .explicit([[0, 0], [1, 1]])), shape: [3, 8, 6],
            kernel: [2, 3, 5, 3]),
        Case(
            name: "conv 3x3 on 2x2, every tap but the centre in the padding",
            op: conv([3, 3], strides: [1, 1], padding: .explicit([[1, 1], [1, 1]])), shape: [2, 2, 2],
            kernel: [2, 2, 3, 3]),
        Case(
            name: "conv 1x1", op: conv([1, 1], strides: [1, 1], padding: .valid), shape: [4, 3, 5],
            kernel: [2, 4, 1, 1]),
        Case(
            name: "max pool 3x3 stride 2 pad 1",
            op: pool(.max, [3, 3], strides: [2, 2], padding: .explicit([[1, 1], [1, 1]])), shape: [3, 7, 8]),
        Case(name: "max pool 2x2", op: pool(.max, [2, 2], strides: [2, 2], padding: .valid), shape: [3, 7, 8]),
        Case(
            name: "average pool 2x2", op: pool(.average, [2, 2], strides: [2, 2], padding: .valid), shape: [2, 6, 5]),
        Case(
            name: "average pool 2x2 pad, cells inside",
            op: pool(.average, [2, 2], strides: [2, 2], padding: .explicit([[1, 0], [0, 1]])), shape: [2, 5, 5]),
        Case(name: "average pool 1-D", op: pool(.average, [3], strides: [2], padding: .valid), shape: [3, 10]),
        Case(
            name: "global average pool",
            op: ChannelsFirstOp(inner: GlobalPoolOp(kind: .average, rank: 2, keepDims: true)), shape: [3, 4, 5]),
        Case(
            name: "global max pool 1-D",
            op: ChannelsFirstOp(inner: GlobalPoolOp(kind: .max, rank: 1, keepDims: false)), shape: [4, 6]),
    ]

    @Test(arguments: cases)
    func directForwardEqualsMovedChannelsLastOp(_ c: Case) throws {
        let rows = 5
        let x = Batch(
            rows: rows, shape: c.shape, data: ONNXMatMulTests.values(rows * c.shape.reduce(1, *), seed: 11))
        var p = LayerParams()
        if let k = c.kernel {
            p.values[.kernel] = ONNXMatMulTests.values(k.reduce(1, *), seed: 12)
            if c.bias { p.values[.bias] = ONNXMatMulTests.values(k[0], seed: 13) }
        }
        var params: [ParameterRole: [Int]] = [:]
        if let k = c.kernel { params[.kernel] = k }
        if c.bias, let k = c.kernel { params[.bias] = [k[0]] }
        let shape = try c.op.outputShape([c.shape], params: params)
        var direct = Batch()
        var cache = LayerCache()
        #expect(c.op.directForward(x, p, output: &direct, cache: &cache), "the direct path declined")
        var moved = Batch()
        var cache2 = LayerCache()
        c.op.inner.forward([ChannelsFirstOp.move(x, toLast: true)], p, output: &moved, cache: &cache2)
        let want = ChannelsFirstOp.move(moved, toLast: false)
        #expect(direct.rows == rows && direct.shape == shape && want.shape == shape)
        #expect(direct.data.count == want.data.count)
        let worst = zip(direct.data, want.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference \(worst)")
        // A second batch through the same cache (reused scratch) gives the same values.
        var again = Batch()
        #expect(c.op.directForward(x, p, output: &again, cache: &cache) && again == direct)
    }

    /// A grouped or Keras-layout kernel is left to the general path.
    @Test func otherKernelsTakeTheGeneralPath() {
        let o = SpatialOptions(rank: 2, window: [3, 3], strides: [1, 1], groups: 2, dataFormat: .channelsFirst)
        let grouped = ChannelsFirstOp(inner: ConvOp(options: o, useBias: false, layout: .outIn))
        var keras = o
        keras.groups = 1
        let kerasLayout = ChannelsFirstOp(inner: ConvOp(options: keras, useBias: false, layout: .inOut))
        let x = Batch(rows: 2, shape: [2, 5, 5], data: ONNXMatMulTests.values(100, seed: 1))
        var p = LayerParams()
        p.values[.kernel] = ONNXMatMulTests.values(4 * 1 * 9, seed: 2)
        var out = Batch()
        var cache = LayerCache()
        #expect(!grouped.directForward(x, p, output: &out, cache: &cache))
        p.values[.kernel] = ONNXMatMulTests.values(9 * 2 * 4, seed: 2)
        #expect(!kerasLayout.directForward(x, p, output: &out, cache: &cache))
    }
}
