import Foundation

/// A Keras `model.summary()`-style view of the layers: name, class, output
/// width and parameter count of each.
public struct ArchitectureSummary: Sendable {
    /// One layer's line.
    public struct Row: Sendable {
        public var name: String
        public var className: String
        public var outputWidth: Int?
        public var parameters: Int
    }

    /// The rows in execution order.
    public let rows: [Row]

    /// Summarizes `layers` of `graph`; a layer's parameters are the elements
    /// of the tensors it names, its output width follows from its kernel.
    public init(graph: ModelGraph, layers: [Layer]) {
        var width = graph.inputWidth
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
            rows.append(Row(name: layer.name, className: cls, outputWidth: width, parameters: params))
        }
        self.rows = rows
    }

    /// The summary as a table with a total line.
    public var text: String {
        var table = TextTable(headers: ["layer", "class", "output shape", "parameters"], rightAligned: [3])
        for r in rows {
            table.add([r.name, r.className, r.outputWidth.map { "(None, \($0))" } ?? "?", String(r.parameters)])
        }
        return table.rendered() + "\ntotal parameters: \(rows.reduce(0) { $0 + $1.parameters })"
    }
}
