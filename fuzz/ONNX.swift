import FairAudit
import Foundation

// libFuzzer target: the ONNX reader (formats/ONNX): `ModelProto` decoding,
// every initializer turned into a tensor, and the dense chain. Any input must
// give a graph or an `ONNXError`/`FairAuditError`, never a trap, and a graph's
// tensors must hold exactly the bytes their shapes need.
@testable import FormatONNX

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-onnx-\(getpid()).onnx")
    do {
        try bytes.write(to: url)
        let graph = try ONNXFormat.read(url)
        for t in graph.tensors {
            let count = try t.rawBytes().count
            precondition(count == t.byteCount, "tensor '\(t.name)' holds the wrong number of bytes")
        }
        if graph.layers != nil { _ = try? Network(graph: graph) }
    } catch is ONNXError {
    } catch is FairAuditError {
    } catch {
        fatalError("the ONNX reader threw a foreign error: \(error)")
    }
    return 0
}
