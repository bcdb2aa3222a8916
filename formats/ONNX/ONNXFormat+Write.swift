import FairAudit
import Foundation

extension ONNXFormat {
    /// Writes `graph` as ONNX through `AtomicFile` (read back and checked
    /// before it is renamed into place).
    ///
    /// The source model is parsed and re-serialized: an initializer whose
    /// tensor is modified (or changed dtype or shape) is replaced by one
    /// holding the new values as `raw_data`; the graph, its nodes, opset
    /// imports, metadata, unknown fields and every other initializer are
    /// written as they were read. ONNX needs a graph, so a source model is required.
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        guard let source, (try? FormatRegistry.prefix(of: source)).map({ canRead(source, prefix: $0) }) == true else {
            throw ONNXError.cannotWrite(
                file: url.path,
                reason:
                    "an ONNX file holds a graph as well as weights; write one based on the .onnx model the weights came from"
            )
        }
        var model = try decode(source)
        let byOrigin = Dictionary(graph.tensors.map { ($0.origin, $0) }, uniquingKeysWith: { a, _ in a })
        var used = Set<String>()
        for (i, proto) in model.graph.initializer.enumerated() {
            guard let t = byOrigin[proto.name] else { continue }
            used.insert(proto.name)
            let unchanged =
                !t.isModified && ONNXTensor.codes[t.dtype] == proto.dataType
                && t.shape == proto.dims.map { Int($0) }
            if !unchanged { model.graph.initializer[i] = try ONNXTensor.replacing(proto, with: t, file: url.path) }
        }
        if let extra = graph.tensors.first(where: { !used.contains($0.origin) }) {
            throw ONNXError.cannotWrite(
                file: url.path,
                reason:
                    "tensor '\(extra.name)' is not an initializer of \(source.lastPathComponent)")
        }
        let data: Data
        do { data = try model.serializedBytes() } catch {
            throw ONNXError.cannotWrite(file: url.path, reason: "\(error)")
        }
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                do { try data.write(to: tmp) } catch {
                    throw ONNXError.cannotWrite(file: url.path, reason: "\(error.localizedDescription)")
                }
            },
            verify: { tmp in
                try verify(graph, written: tmp, file: url.path)
            })
    }

    /// Reads `written` back and checks each tensor's dtype, shape and values.
    static func verify(_ graph: ModelGraph, written: URL, file: String) throws {
        let model = try decode(written)
        var back: [String: Tensor] = [:]
        for p in model.graph.initializer { back[p.name] = try ONNXTensor.tensor(from: p, file: file) }
        for t in graph.tensors {
            guard let b = back[t.origin] else {
                throw ONNXError.verifyFailed(file: file, tensor: t.origin, reason: "missing")
            }
            guard b.dtype == t.dtype, b.shape == t.shape else {
                throw ONNXError.verifyFailed(file: file, tensor: t.origin, reason: "dtype or shape differ")
            }
            let same =
                t.byteOrder == .little || t.dtype.byteSize == 1
                ? try b.rawBytes() == t.rawBytes().prefix(t.byteCount)
                : try b.floatValues() == t.floatValues()
            guard same else { throw ONNXError.verifyFailed(file: file, tensor: t.origin, reason: "values differ") }
        }
    }
}
