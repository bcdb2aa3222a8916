import FairAudit
import Foundation

extension ONNXMapper {
    /// The window settings of a `Conv`, `MaxPool` or `AveragePool` node on
    /// NCHW (or NCL) data: `kernel_shape`, `strides` (default 1),
    /// `dilations`, `pads` (`[b₁, b₂, e₁, e₂]`) or `auto_pad`, channels first.
    func spatialOptions(_ node: ONNXNode, rank x: Int, kernel: [Int]?) throws -> SpatialOptions {
        let r = x - 2
        guard r == 1 || r == 2 else {
            throw node.refuse("its input has rank \(x); 1 or 2 spatial axes (NCL, NCHW) are run")
        }
        guard let window = node.ints("kernel_shape") ?? kernel, window.count == r else {
            throw node.refuse("its kernel_shape does not give \(r) spatial sizes")
        }
        let strides = node.ints("strides") ?? [Int](repeating: 1, count: r)
        let dilations = node.ints("dilations") ?? [Int](repeating: 1, count: r)
        guard strides.count == r, dilations.count == r else {
            throw node.refuse("its strides or dilations do not give \(r) sizes")
        }
        let padding: SpatialPadding
        switch node.string("auto_pad", "NOTSET") {
        case "NOTSET":
            let pads = node.ints("pads") ?? [Int](repeating: 0, count: 2 * r)
            guard pads.count == 2 * r, pads.allSatisfy({ $0 >= 0 }) else {
                throw node.refuse("its pads \(pads) are not \(2 * r) sizes")
            }
            padding = .explicit((0..<r).map { [pads[$0], pads[$0 + r]] })
        case "VALID": padding = .valid
        case "SAME_UPPER": padding = .same
        case let other: throw node.refuse("auto_pad \(other) is not run (NOTSET, VALID, SAME_UPPER are)")
        }
        return SpatialOptions(
            rank: r, window: window, strides: strides, dilation: dilations, padding: padding,
            groups: node.int("group", 1), dataFormat: .channelsFirst)
    }

    /// `Conv` with a constant OIHW kernel (and bias): a convolution layer
    /// reading the kernel in its stored `(out, in/groups, kh, kw)` order, so
    /// writing back keeps OIHW.
    mutating func conv(_ node: ONNXNode) throws {
        let x = try data(node, 0)
        let kernel = try parameter(node, 1, "weight")
        guard kernel.shape.count == x.rank else {
            throw node.refuse("its weight '\(kernel.name)' has shape \(kernel.shape) for an input of rank \(x.rank)")
        }
        var o = try spatialOptions(node, rank: x.rank, kernel: Array(kernel.shape.dropFirst(2)))
        o.filters = kernel.shape[0]
        var layer = Layer(
            name: node.name, kind: .convolution, weights: [.kernel: kernel.name], kernelLayout: .outIn,
            className: node.op)
        if node.proto.input.count > 2, !node.proto.input[2].isEmpty {
            layer.weights[.bias] = try parameter(node, 2, "bias").name
        }
        layer.spatial = o
        try unary(node, layer)
    }

    /// `MaxPool` and `AveragePool` (padded cells not counted, ONNX's
    /// `count_include_pad = 0`), floor rounding.
    mutating func pool(_ node: ONNXNode, max: Bool) throws {
        let x = try data(node, 0)
        guard node.int("ceil_mode", 0) == 0 else { throw node.refuse("ceil_mode = 1 is not run") }
        let o = try spatialOptions(node, rank: x.rank, kernel: nil)
        if !max, node.int("count_include_pad", 0) == 1, o.padding != .valid,
            o.padding != .explicit([[0, 0], [0, 0]]),
            o.padding != .explicit([[0, 0]])
        {
            throw node.refuse("count_include_pad = 1 with padding is not run")
        }
        guard o.dilation.allSatisfy({ $0 == 1 }) else { throw node.refuse("a dilated pooling window is not run") }
        var layer = Layer(name: node.name, kind: max ? .maxPooling : .averagePooling, className: node.op)
        layer.spatial = o
        try unary(node, layer)
    }

    /// `GlobalAveragePool`/`GlobalMaxPool`: `(N, C, …)` → `(N, C, 1, …)`.
    mutating func globalPool(_ node: ONNXNode, max: Bool) throws {
        let x = try data(node, 0)
        guard x.rank == 3 || x.rank == 4 else { throw node.refuse("its input has rank \(x.rank); NCL or NCHW is run") }
        var layer = Layer(name: node.name, kind: max ? .globalMaxPooling : .globalAveragePooling, className: node.op)
        layer.spatial = SpatialOptions(rank: x.rank - 2, dataFormat: .channelsFirst, keepDims: true)
        try unary(node, layer)
    }
}
