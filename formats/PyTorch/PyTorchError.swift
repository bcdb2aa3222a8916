import FairAudit
import Foundation

/// What is wrong with a PyTorch checkpoint, as one sentence naming the file
/// and, where there is one, the tensor, global or opcode.
public enum PyTorchError: Error, CustomStringConvertible, Equatable {
    /// The zip layer refused the archive.
    case zip(ZipError)
    /// A kind of PyTorch file fairaudit does not read (legacy, TorchScript, bare pickle).
    case unsupportedKind(file: String, kind: String, hint: String)
    /// The archive lacks a member every `torch.save` zip has.
    case missingMember(file: String, member: String)
    /// The pickle names a global `torch.load(weights_only=True)` would not allow.
    case forbiddenGlobal(file: String, global: String)
    /// The pickle uses an opcode a state dict never needs (object construction, …).
    case forbiddenOpcode(file: String, opcode: String, offset: Int)
    /// The pickle is malformed (cut short, stack underflow, bad argument, …).
    case badPickle(file: String, offset: Int, reason: String)
    /// A tensor of a type a weights-only load allows but fairaudit does not hold (complex, float8, quantized).
    case unsupportedDType(file: String, dtype: String)
    /// A tensor's storage, offset, size or stride is inconsistent with the archive.
    case badTensor(file: String, tensor: String, reason: String)
    /// The checkpoint holds something other than tensors and plain values where tensors are named.
    case badStructure(file: String, path: String, reason: String)
    /// The graph cannot be written back into the checkpoint.
    case cannotWrite(file: String, reason: String)
    /// The file written does not read back as the graph.
    case verifyFailed(file: String, tensor: String, reason: String)

    /// One sentence naming the file and the place.
    public var description: String {
        switch self {
        case .zip(let e): e.description
        case .unsupportedKind(let f, let k, let h): "\(f): \(k), which fairaudit does not read: \(h)"
        case .missingMember(let f, let m): "\(f): not a torch.save checkpoint: it has no '\(m)' member"
        case .forbiddenGlobal(let f, let g):
            "\(f): the pickle refers to '\(g)', which a weights-only load does not allow; refused, nothing was "
                + "imported or run"
        case .forbiddenOpcode(let f, let op, let o):
            "\(f): the pickle uses opcode \(op) at byte \(o), which a state dict does not need; refused, nothing "
                + "was run"
        case .badPickle(let f, let o, let r): "\(f): malformed data.pkl at byte \(o): \(r)"
        case .unsupportedDType(let f, let d):
            "\(f): holds a \(d) tensor; complex, 8-bit float and quantized tensors are not read (convert them to "
                + "float16/bfloat16/float32 first)"
        case .badTensor(let f, let t, let r): "\(f): tensor '\(t)': \(r)"
        case .badStructure(let f, let p, let r): "\(f): '\(p.count > 80 ? String(p.prefix(80)) + "…" : p)': \(r)"
        case .cannotWrite(let f, let r): "\(f): cannot write the PyTorch checkpoint: \(r)"
        case .verifyFailed(let f, let t, let r): "\(f): tensor '\(t)' did not read back as written: \(r)"
        }
    }

    /// Runs `body`, turning a `ZipError` into `PyTorchError.zip`.
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ZipError { throw PyTorchError.zip(e) }
    }
}
