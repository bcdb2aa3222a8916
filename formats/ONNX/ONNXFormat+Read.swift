import FairAudit
import Foundation
import SwiftProtobuf

extension ONNXFormat {
    /// Reads an `.onnx` file: its initializers as tensors, its metadata, and
    /// its layers when the nodes on the path to the first output are ones
    /// the executor runs (otherwise `architectureNote` says which node is
    /// not, and `predict`/`fix` report it).
    public static func read(_ url: URL) throws -> ModelGraph { try read(url, options: ReadOptions()) }

    /// Reads an `.onnx` file with the output `options.output` as the score
    /// (default: the first output, or `probabilities` when the first cannot
    /// be run) and external data only when `options.allowExternalData`.
    public static func read(_ url: URL, options: ReadOptions) throws -> ModelGraph {
        let file = url.path
        let (model, raw) = try skeleton(url)
        guard model.hasGraph else { throw ONNXError.noGraph(file: file) }
        let g = model.graph
        var tensors: [Tensor] = []
        var seen = Set<String>()
        for (i, proto) in g.initializer.enumerated() {
            guard seen.insert(proto.name).inserted else {
                throw ONNXError.badTensor(
                    file: file, tensor: proto.name, reason: "appears twice among the initializers")
            }
            tensors.append(
                try ONNXTensor.tensor(
                    from: proto, file: file,
                    external: options.allowExternalData ? url.deletingLastPathComponent() : nil,
                    raw: raw.cursor.flatMap { c in raw.ranges[i].map { (c, $0) } }))
        }
        var graph = ModelGraph(
            format: name, layout: .onnx, tensors: tensors,
            metadata: metadata(model), source: url)
        try attachLayers(to: &graph, model: model, file: file, output: options.output)
        return graph
    }

    /// Sets the graph's layers from the path to `output`, which must run.
    /// Without one, the first output; when that path cannot be run (a
    /// classifier's `label` output behind `ArgMax`), the other outputs are
    /// tried, `probabilities` first, and the one used is named in the
    /// metadata (`output`) with the reason the first was passed over.
    static func attachLayers(to graph: inout ModelGraph, model: Onnx_ModelProto, file: String, output: String?) throws {
        if let output {
            let mapped = try ONNXMapper(model: model, file: file, initializers: graph.tensors, output: output).result
            graph.layers = mapped.layers
            graph.inputWidth = mapped.inputWidth
            graph.metadata.append(("output", output))
            return
        }
        let names = model.graph.output.map(\.name)
        guard let first = names.first else {
            graph.architectureNote = ONNXError.badGraph(file: file, reason: "it has no output").description(
                omitting: file)
            return
        }
        let others = names.dropFirst().sorted { ($0 == "probabilities" ? 0 : 1) < ($1 == "probabilities" ? 0 : 1) }
        var firstError: ONNXError?
        for output in [first] + others {
            do {
                let mapped = try ONNXMapper(model: model, file: file, initializers: graph.tensors, output: output)
                    .result
                graph.layers = mapped.layers
                graph.inputWidth = mapped.inputWidth
                graph.metadata.append(("output", output))
                if let firstError {
                    graph.metadata.append(
                        (
                            "output_note",
                            "the first output '\(first)' was passed over: "
                                + firstError.description(omitting: file)
                        ))
                }
                return
            } catch let e as ONNXError {
                switch e {
                case .unsupportedNode, .badGraph: if firstError == nil { firstError = e }
                default: throw e
                }
            }
        }
        // The command names the file itself when it says the model cannot be run.
        graph.architectureNote = firstError?.description(omitting: file)
    }

    /// The file's `ModelProto` without the large initializer values
    /// (``ONNXSkeleton``), and where those lie in the file.
    static func skeleton(
        _ url: URL
    ) throws -> (model: Onnx_ModelProto, raw: (cursor: ONNXFileCursor?, ranges: [Int: Range<Int>])) {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        if size == 0 { throw ONNXError.notONNX(file: url.path, reason: "the file is empty") }
        do {
            let s = try ONNXSkeleton(url: url)
            return (s.model, (s.raw.isEmpty ? nil : try ONNXFileCursor(url: url), s.raw))
        } catch ONNXFileCursor.BinaryOrTruncated.truncated {
            throw ONNXError.notONNX(file: url.path, reason: reason(.truncated))
        } catch ONNXFileCursor.BinaryOrTruncated.malformed {
            throw ONNXError.notONNX(file: url.path, reason: reason(.malformedProtobuf))
        }
    }

    /// The file's `ModelProto`; any protobuf error becomes one line naming the file.
    static func decode(_ url: URL) throws -> Onnx_ModelProto {
        // An empty file is refused before mapping: Foundation's read of an
        // empty file through `.alwaysMapped` leaks its 4 KB buffer.
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        if size == 0 { throw ONNXError.notONNX(file: url.path, reason: "the file is empty") }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw FairAuditError.unreadableFile(path: url.path, reason: "\(error.localizedDescription)")
        }
        return try decode(data, file: url.path)
    }

    /// `data` parsed as a `ModelProto` (unknown fields kept for writing back).
    static func decode(_ data: Data, file: String) throws -> Onnx_ModelProto {
        do {
            return try Onnx_ModelProto(serializedBytes: data)
        } catch let e as BinaryDecodingError {
            throw ONNXError.notONNX(file: file, reason: reason(e))
        } catch {
            throw ONNXError.notONNX(file: file, reason: "\(error)")
        }
    }

    /// A protobuf decoding error in words.
    static func reason(_ e: BinaryDecodingError) -> String {
        switch e {
        case .truncated: return "the protobuf ends inside a field (truncated file)"
        case .malformedProtobuf: return "malformed protobuf (a wrong wire type or a bad field length)"
        case .invalidUTF8: return "a string field is not valid UTF-8"
        case .messageDepthLimit: return "messages nested deeper than 100 levels"
        case .missingRequiredFields: return "a required field is missing"
        default: return "the protobuf cannot be decoded (\(e))"
        }
    }

    /// Key facts of the model for `inspect`: IR version, producer, opsets, graph inputs and outputs.
    static func metadata(_ model: Onnx_ModelProto) -> [(key: String, value: String)] {
        var m: [(key: String, value: String)] = [("ir_version", "\(model.irVersion)")]
        if !model.producerName.isEmpty {
            m.append(
                ("producer", model.producerName + (model.producerVersion.isEmpty ? "" : " " + model.producerVersion)))
        }
        let opsets = model.opsetImport.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain) + " \($0.version)" }
        m.append(("opset_import", opsets.joined(separator: ", ")))
        let g = model.graph
        m.append(("graph", g.name))
        m.append(("nodes", "\(g.node.count)"))
        m.append(
            (
                "inputs",
                g.input.map(\.name).filter { n in !g.initializer.contains { $0.name == n } }.joined(separator: ", ")
            ))
        m.append(("outputs", g.output.map(\.name).joined(separator: ", ")))
        for p in model.metadataProps { m.append((p.key, p.value)) }
        return m
    }
}
