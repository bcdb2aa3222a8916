import Foundation

/// A Keras `model.summary()`-style view of the layers: name, class, output
/// shape and parameter count of each.
public struct ArchitectureSummary: Sendable {
    /// One layer's line.
    public struct Row: Sendable {
        public var name: String
        public var className: String
        /// The size of the last axis of the output (nil when unknown).
        public var outputWidth: Int?
        /// The per-sample output shape, batch axis left out (nil when unknown).
        public var outputShape: [Int]?
        public var parameters: Int
    }

    /// Models up to this size are built on the executor to infer every
    /// layer's output shape; larger ones show the widths their kernels give,
    /// so `inspect` stays a read of the header, not of every weight.
    static let shapeInferenceLimit = 256 << 20

    /// The rows in execution order.
    public let rows: [Row]

    /// Summarizes `layers` of `graph`; a layer's parameters are the elements
    /// of the tensors it names, its output shape is the executor's (or, when
    /// the model does not build, the width its kernel gives).
    public init(graph: ModelGraph, layers: [Layer]) {
        let inferred = Self.inferredShapes(graph: graph, layers: layers)
        var width = graph.inputWidth
        var previous: [Int]? = width.map { [$0] }
        var rows: [Row] = []
        for layer in layers {
            let params = layer.weights.values.reduce(0) { sum, name in
                sum + ((try? graph.tensor(named: name))?.elementCount ?? 0)
            }
            if layer.kind == .dense {
                if let units = layer.units {
                    width = units
                } else if let k = try? graph.tensor(named: layer.weights[.kernel] ?? ""), k.shape.count == 2 {
                    width = layer.kernelLayout == .inOut ? k.shape[1] : k.shape[0]
                }
            }
            let cls =
                layer.kind == .dense || layer.kind == .activation
                ? "\(layer.className) (\(layer.activation.rawValue))" : layer.className
            var shape = width.map { [$0] }
            if !inferred.isEmpty {
                // A layer that is the identity at inference (dropout) has no node: it passes its input on.
                shape = inferred[layer.name] ?? layer.inbound?.first.flatMap { inferred[$0] } ?? previous
            }
            previous = shape
            rows.append(
                Row(
                    name: layer.name, className: cls, outputWidth: shape?.last ?? width, outputShape: shape,
                    parameters: params))
        }
        self.rows = rows
    }

    /// Each layer's per-sample output shape by layer name, from the executor;
    /// empty when the model is larger than ``shapeInferenceLimit`` or does not build.
    static func inferredShapes(graph: ModelGraph, layers: [Layer]) -> [String: [Int]] {
        guard graph.byteCount <= shapeInferenceLimit,
            let network = try? Network(graph: graph, layers: layers, multiclass: true)
        else { return [:] }
        var shapes: [String: [Int]] = [:]
        for (i, name) in network.inputNames.enumerated() { shapes[name] = network.valueShapes[i] }
        for (i, node) in network.nodes.enumerated() {
            // A fused activation's node ("name.activation") comes after its layer's and has the same shape.
            shapes[node.name] = network.valueShapes[network.inputCount + i]
        }
        return shapes
    }

    /// `(None, d₁, …)` as Keras prints a shape with its batch axis.
    static func keras(_ shape: [Int]) -> String {
        "(" + (["None"] + shape.map(String.init)).joined(separator: ", ") + ")"
    }

    /// The summary as a table with a total line.
    public var text: String {
        var table = TextTable(headers: ["layer", "class", "output shape", "parameters"], rightAligned: [3])
        for r in rows {
            table.add([r.name, r.className, r.outputShape.map(Self.keras) ?? "?", String(r.parameters)])
        }
        return table.rendered() + "\ntotal parameters: \(rows.reduce(0) { $0 + $1.parameters })"
    }
}
