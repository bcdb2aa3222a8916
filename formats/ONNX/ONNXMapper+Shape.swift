import FairAudit
import Foundation

extension ONNXMapper {
    /// The integer values of the constant at input `k` (`Reshape`'s shape, axes, indices).
    func integers(_ node: ONNXNode, _ k: Int, _ what: String) throws -> (values: [Int], shape: [Int]) {
        guard let t = constant(node, k) else {
            throw node.refuse("its \(what) (input \(k)) is computed, not a constant")
        }
        guard !t.dtype.isFloatingPoint else {
            throw node.refuse("its \(what) '\(t.name)' is \(t.dtype.rawValue), not integers")
        }
        guard t.elementCount <= 1 << 20 else {
            throw node.refuse("its \(what) '\(t.name)' has \(t.elementCount) values")
        }
        return (try t.doubleValues().map { Int($0) }, t.shape)
    }

    /// `Cast`: to a float type of a float value, or to an integer type of
    /// integer ids, or ids to float: the values do not change. A float
    /// cast to integers (which truncates) is refused.
    mutating func cast(_ node: ONNXNode) throws {
        let x = try data(node, 0)
        let to = node.int("to", 0)
        let floats = [1, 10, 11, 16]
        let ints = [2, 3, 4, 5, 6, 7, 12, 13]
        if floats.contains(to) { return alias(try output(node), to: x, integer: false) }
        guard ints.contains(to) else { throw node.refuse("a cast to type \(to) is not run") }
        guard x.integer else {
            throw node.refuse("a cast of float values to integers truncates them, which is not run")
        }
        alias(try output(node), to: x)
    }

    /// `Flatten` with `axis = 1`: each sample to one vector.
    mutating func flatten(_ node: ONNXNode) throws {
        let x = try data(node, 0)
        let axis = node.int("axis", 1)
        guard (axis < 0 ? axis + x.rank : axis) == 1 else {
            throw node.refuse("Flatten with an axis other than 1 would merge the batch axis")
        }
        try unary(node, Layer(name: node.name, kind: .flatten, className: node.op), rank: 2)
    }

    /// `Reshape` to a constant shape whose first entry keeps the batch (`0` or `-1`).
    mutating func reshape(_ node: ONNXNode) throws {
        let (shape, _) = try integers(node, 1, "shape")
        guard let head = shape.first, head == 0 || head == -1 else {
            throw node.refuse(
                "its shape \(shape) fixes the batch axis to \(shape.first ?? 0) (export with a dynamic batch axis)")
        }
        let rest = Array(shape.dropFirst())
        guard head == 0 || !rest.contains(-1) else {
            throw node.refuse("its shape \(shape) leaves two axes to be inferred")
        }
        guard node.int("allowzero", 0) == 0 || !rest.contains(0) else {
            throw node.refuse("allowzero with a 0 in the shape is not run")
        }
        var layer = Layer(name: node.name, kind: .reshape, className: node.op)
        layer.shape = rest
        try unary(node, layer, rank: shape.count)
    }

    /// `Transpose` that keeps the batch axis first (`perm[0] = 0`).
    mutating func transpose(_ node: ONNXNode) throws {
        let x = try data(node, 0)
        let perm = node.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.sorted() == Array(0..<x.rank) else {
            throw node.refuse("perm \(perm) is not a permutation of \(x.rank) axes")
        }
        guard perm.first == 0 else { throw node.refuse("perm \(perm) moves the batch axis") }
        var layer = Layer(name: node.name, kind: .permute, className: node.op)
        layer.shape = Array(perm.dropFirst())
        try unary(node, layer)
    }

    /// `Concat` of computed values along a per-sample axis.
    mutating func concat(_ node: ONNXNode) throws {
        let ins = try node.proto.input.indices.map { try data(node, $0) }
        guard let first = ins.first else { throw node.refuse("it has no inputs") }
        guard ins.allSatisfy({ $0.rank == first.rank }) else { throw node.refuse("its inputs differ in rank") }
        let axis = try node.axis(node.int("axis", 0), rank: first.rank)
        guard axis >= 1 else { throw node.refuse("joining along the batch axis is not run") }
        if ins.count == 1 { return alias(try output(node), to: first) }
        var layer = Layer(name: node.name, kind: .concatenate, className: node.op)
        layer.axes = [axis]
        layer.inbound = ins.map(\.layer)
        append(layer, output: try output(node), rank: first.rank, integer: ins.allSatisfy(\.integer))
    }

    /// `Squeeze`/`Unsqueeze` with constant axes (input 1 from opset 13).
    mutating func squeeze(_ node: ONNXNode) throws {
        let x = try data(node, 0)
        let inserts = node.op == "Unsqueeze"
        guard node.proto.input.count > 1, !node.proto.input[1].isEmpty else {
            throw node.refuse(
                inserts ? "it names no axes" : "Squeeze without axes is not run (its rank would be unknown)")
        }
        let (axes, _) = try integers(node, 1, "axes")
        var layer = Layer(name: node.name, kind: inserts ? .unsqueeze : .squeeze, className: node.op)
        layer.axes = axes
        layer.inbound = [x.layer]
        let rank = inserts ? x.rank + axes.count : x.rank - axes.count
        guard rank >= 1 else { throw node.refuse("it would remove the batch axis") }
        append(layer, output: try output(node), rank: rank, integer: x.integer)
    }

    /// `Gather`: rows of a constant table at computed ids (axis 0, an
    /// embedding), or a computed value at constant indices along a per-sample axis.
    mutating func gather(_ node: ONNXNode) throws {
        let axis = node.int("axis", 0)
        if let ids = values[node.proto.input.count > 1 ? node.proto.input[1] : ""] {
            guard constant(node, 0) != nil else { throw node.refuse("it gathers a computed value at computed indices") }
            let table = try parameter(node, 0, "table")
            guard table.shape.count == 2, axis == 0 || axis == -2 else {
                throw node.refuse("only rows of a 2-D table (axis 0) are gathered at computed ids, as an embedding")
            }
            guard ids.integer else { throw node.refuse("its indices '\(node.proto.input[1])' are not integers") }
            var layer = Layer(
                name: node.name, kind: .embedding, units: table.shape[1], weights: [.embeddings: table.name],
                className: node.op)
            layer.inbound = [ids.layer]
            return append(layer, output: try output(node), rank: ids.rank + 1)
        }
        let x = try data(node, 0)
        let a = try node.axis(axis, rank: x.rank)
        guard a >= 1 else { throw node.refuse("gathering along the batch axis is not run") }
        let (indices, shape) = try integers(node, 1, "indices")
        var layer = Layer(name: node.name, kind: .gather, className: node.op)
        layer.axes = [a]
        layer.constant = ConstantOperand(values: indices.map(Float.init), shape: shape, isFirst: false)
        layer.inbound = [x.layer]
        append(layer, output: try output(node), rank: x.rank - 1 + shape.count, integer: x.integer)
    }
}
