import FairAudit
import Foundation

/// What is wrong with a `.safetensors` file or a sharded set's index, as one
/// sentence naming the file and, where there is one, the tensor.
public enum SafeTensorsError: Error, CustomStringConvertible {
    /// Shorter than the 8-byte header length, or the header runs past the end.
    case truncated(file: String, reason: String)
    /// The header length is over the reference's 100 MB limit.
    case headerTooLarge(file: String, bytes: UInt64)
    /// The header is not UTF-8, not JSON, or not an object of tensor entries.
    case badHeader(file: String, reason: String)
    /// One tensor's entry is malformed or inconsistent.
    case badTensor(file: String, tensor: String, reason: String)
    /// A dtype safetensors defines that fairaudit does not hold (F8, F6, F4, complex).
    case unsupportedDType(file: String, tensor: String, dtype: String, reason: String)
    /// The data section is longer or shorter than the tensors cover.
    case dataSize(file: String, covered: Int, present: Int)
    /// A sharded set's index (`model.safetensors.index.json`) is malformed or disagrees with its shards.
    case badIndex(file: String, reason: String)
    /// The graph cannot be written as safetensors.
    case cannotWrite(file: String, reason: String)
    /// The file written does not read back as the graph.
    case verifyFailed(file: String, tensor: String, reason: String)

    /// One sentence naming the file and tensor.
    public var description: String {
        switch self {
        case .truncated(let f, let r): "\(f): truncated safetensors file: \(r)"
        case .headerTooLarge(let f, let n):
            "\(f): the safetensors header declares \(n) bytes, over the 100000000-byte limit"
        case .badHeader(let f, let r): "\(f): bad safetensors header: \(r)"
        case .badTensor(let f, let t, let r): "\(f): tensor '\(t)': \(r)"
        case .unsupportedDType(let f, let t, let d, let r): "\(f): tensor '\(t)' has dtype \(d), which is refused: \(r)"
        case .dataSize(let f, let c, let p):
            "\(f): the tensors cover \(c) bytes of data but the file holds \(p) after the header"
        case .badIndex(let f, let r): "\(f): bad safetensors index: \(r)"
        case .cannotWrite(let f, let r): "\(f): cannot write as safetensors: \(r)"
        case .verifyFailed(let f, let t, let r): "\(f): tensor '\(t)' did not read back as written: \(r)"
        }
    }

    /// Runs `body`, turning a `ZipError` from the shared mapping code into `.truncated`/`.badHeader`.
    static func wrap<T>(file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ZipError {
            throw SafeTensorsError.badHeader(file: file, reason: "\(e)")
        }
    }
}
