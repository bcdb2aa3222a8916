import Foundation

/// What `fairaudit inspect` reports about a model file: format, layout,
/// every tensor with its statistics, totals, metadata and architecture.
public struct Inspection: Sendable {
    /// The graph inspected.
    public let graph: ModelGraph
    /// Statistics per tensor (nil with `--no-stats`).
    public let stats: [TensorStats]?

    /// Inspects `graph`; with `withStats` every tensor's values are read once,
    /// in chunks, and summarized; `progress` is told the tensor being read.
    public init(graph: ModelGraph, withStats: Bool, progress: (Int, Int, String) -> Void = { _, _, _ in }) throws {
        self.graph = graph
        if withStats {
            var all: [TensorStats] = []
            for (i, t) in graph.tensors.enumerated() {
                progress(i, graph.tensors.count, t.name)
                all.append(try t.stats())
            }
            self.stats = all
        } else {
            self.stats = nil
        }
    }

    /// The `--json` document: `format`, `layout`, `file`, `tensors` (in file
    /// order, each `name`, `dtype`, `shape`, `byte_order`, `elements`,
    /// `bytes`, `stats`), `parameters`, `bytes`, `metadata`, `layers`.
    public var json: JSONValue {
        var tensors: [JSONValue] = []
        for (i, t) in graph.tensors.enumerated() {
            var obj: [(String, JSONValue)] = [
                ("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)),
                ("shape", .array(t.shape.map { .int($0) })),
                ("byte_order", .string(t.dtype.byteSize == 1 ? "|" : (t.byteOrder == .little ? "<" : ">"))),
                ("elements", .int(t.elementCount)), ("bytes", .int(t.byteCount)),
            ]
            obj.append(("role", .string(t.isMetadata ? "metadata" : "weight")))
            if t.isMetadata, let values = Self.smallValues(t) {
                obj.append(("values", .array(values.map { .finite($0) })))
            }
            if let s = stats?[i] {
                obj.append(
                    (
                        "stats",
                        .object([
                            ("min", .finite(s.min)), ("max", .finite(s.max)), ("mean", .finite(s.mean)),
                            ("std", .finite(s.std)), ("nan", .int(s.nanCount)), ("inf", .int(s.infCount)),
                        ])
                    ))
            }
            tensors.append(.object(obj))
        }
        var doc: [(String, JSONValue)] = [
            ("file", .string(graph.source?.path ?? "")),
            ("format", .string(graph.format)), ("layout", .string(graph.layout.rawValue)),
            ("tensors", .array(tensors)),
            ("parameters", .int(parameters)), ("bytes", .int(graph.byteCount)),
            ("metadata", .object(graph.metadata.map { ($0.key, .string($0.value)) })),
        ]
        if let layers = graph.layers {
            doc.append(
                (
                    "layers",
                    .array(
                        ArchitectureSummary(graph: graph, layers: layers).rows.map { row in
                            .object([
                                ("name", .string(row.name)), ("class", .string(row.className)),
                                (
                                    "output_shape",
                                    row.outputShape.map { .array([.null] + $0.map { .int($0) }) } ?? .null
                                ),
                                ("parameters", .int(row.parameters)),
                            ])
                        })
                ))
        }
        if let note = graph.architectureNote { doc.append(("architecture_note", .string(note))) }
        return .object(doc)
    }

    /// Elements of the weight tensors (metadata members are not parameters).
    var parameters: Int { graph.parameterCount }

    /// The values of a tensor of at most 16 elements, else nil.
    static func smallValues(_ t: Tensor) -> [Double]? {
        guard t.elementCount <= 16 else { return nil }
        return try? t.doubleValues()
    }

    /// The human-readable report: a summary header, the tensor table, the
    /// architecture (when known) and the metadata.
    public var text: String {
        var out =
            "\(graph.source?.lastPathComponent ?? "model"): format \(graph.format), layout \(graph.layout.rawValue)\n\n"
        var table = TextTable(
            headers: ["tensor", "dtype", "shape", "elements", "bytes"]
                + (stats == nil ? [] : ["min", "max", "mean", "std", "nan", "inf"]),
            rightAligned: Set(3...10))
        for (i, t) in graph.tensors.enumerated() {
            var row = [
                t.name, t.dtype.rawValue + (t.byteOrder == .big && t.dtype.byteSize > 1 ? " (big-endian)" : ""),
                Format.shape(t.shape), String(t.elementCount), String(t.byteCount),
            ]
            if let s = stats?[i] {
                row += [
                    Format.g(s.min), Format.g(s.max), Format.g(s.mean), Format.g(s.std),
                    String(s.nanCount), String(s.infCount),
                ]
            }
            table.add(row)
        }
        out += table.rendered() + "\n\n"
        let meta = graph.tensors.filter(\.isMetadata)
        out +=
            "\(graph.tensors.count) tensors\(meta.isEmpty ? "" : " (\(meta.count) metadata)"), \(parameters) parameters, \(Format.bytes(graph.byteCount))\n"
        if !meta.isEmpty {
            // Non-float and 0-d members: kept and written back, never taken for weights.
            out +=
                "metadata members (not weights): "
                + meta.map { t in
                    guard let v = Self.smallValues(t) else {
                        return "\(t.name) \(t.dtype.rawValue) \(Format.shape(t.shape))"
                    }
                    let shown = v.map { Format.g($0) }
                    return "\(t.name) = "
                        + (t.shape.isEmpty ? shown.joined() : "[" + shown.joined(separator: ", ") + "]")
                }.joined(separator: ", ") + "\n"
        }
        if let layers = graph.layers {
            out += "\n" + ArchitectureSummary(graph: graph, layers: layers).text + "\n"
        } else if let note = graph.architectureNote {
            out += "\narchitecture: \(note)\n"
        }
        if !graph.metadata.isEmpty {
            out += "\nmetadata:\n"
            for (k, v) in graph.metadata {
                let shown = v.count > 100 ? String(v.prefix(97)) + "..." : v
                out += "  \(k): \(shown.replacingOccurrences(of: "\n", with: " "))\n"
            }
        }
        return out
    }
}
