import FairAudit
import Foundation

/// What is wrong with an `.onnx` file, as one sentence naming the file and,
/// where there is one, the initializer or node.
public enum ONNXError: Error, CustomStringConvertible {
    /// The bytes are not a `ModelProto` (truncated, wrong wire type, bad length).
    case notONNX(file: String, reason: String)
    /// The model has no graph.
    case noGraph(file: String)
    /// An initializer that cannot be read (dtype, shape, data length, external data).
    case badTensor(file: String, tensor: String, reason: String)
    /// A node on the path to the output that fairaudit does not run.
    case unsupportedNode(file: String, node: String, op: String, opset: Int, reason: String)
    /// The graph cannot be followed from the output to its input (a cycle, a missing producer, a branch).
    case badGraph(file: String, reason: String)
    /// The graph cannot be written back.
    case cannotWrite(file: String, reason: String)
    /// The file written does not read back as the graph.
    case verifyFailed(file: String, tensor: String, reason: String)

    /// One sentence naming the file and the tensor or node.
    public var description: String {
        switch self {
        case .notONNX(let f, let r): return "\(f): not an ONNX model: \(r)"
        case .noGraph(let f): return "\(f): the ONNX model has no graph"
        case .badTensor(let f, let t, let r): return "\(f): initializer '\(t)': \(r)"
        case .unsupportedNode(let f, let n, let op, let opset, let r):
            return "\(f): node '\(n)' (\(op), opset \(opset)) cannot be run: \(r)"
        case .badGraph(let f, let r): return "\(f): the ONNX graph cannot be run: \(r)"
        case .cannotWrite(let f, let r): return "\(f): cannot write as ONNX: \(r)"
        case .verifyFailed(let f, let t, let r): return "\(f): initializer '\(t)' did not read back as written: \(r)"
        }
    }

    /// The sentence without its leading `file: `, for places that name the file already.
    func description(omitting file: String) -> String {
        let text = description
        return text.hasPrefix(file + ": ") ? String(text.dropFirst(file.count + 2)) : text
    }
}
