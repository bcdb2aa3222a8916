import FairAudit
import Foundation

/// What a checkpoint's pickle holds once walked: tensors named by their key
/// path (`state_dict.net.0.weight`) and the other plain values as metadata.
public struct Checkpoint: Sendable {
    /// Tensors in the order the pickle holds them.
    public var tensors: [(name: String, ref: TorchTensorRef)] = []
    /// Plain values (`epoch`, `best_acc`, …) by key path, rendered as text.
    public var metadata: [(key: String, value: String)] = []

    /// Deepest container nesting accepted.
    public static let maxDepth = 64

    /// Runs the restricted unpickler over `pickle` and walks the result.
    /// `storageBytes(key)` gives the size of member `data/<key>`.
    public static func parse(
        _ pickle: [UInt8], file: String, storageBytes: @escaping (String) -> Int?
    ) throws -> Checkpoint {
        var u = Unpickler(pickle, file: file, storageBytes: storageBytes)
        let root = try u.load()
        var c = Checkpoint()
        try c.walk(root, path: [], arena: u.arena, depth: 0, file: file)
        var seen = Set<String>()
        for t in c.tensors where !seen.insert(t.name).inserted {
            throw PyTorchError.badStructure(file: file, path: t.name, reason: "two tensors have this name")
        }
        for t in c.tensors { try t.ref.validate(name: t.name, file: file) }
        return c
    }

    /// Names tensors by key path; dict keys and list indices join with `.`.
    mutating func walk(_ v: PickleValue, path: [String], arena: PickleArena, depth: Int, file: String) throws {
        let name = path.isEmpty ? "tensor" : path.joined(separator: ".")
        guard depth <= Self.maxDepth else {
            throw PyTorchError.badStructure(
                file: file, path: name, reason: "nested deeper than \(Self.maxDepth) levels")
        }
        switch v {
        case .tensor(let ref): tensors.append((name, ref))
        case .dict(let d):
            for (k, value) in arena.dicts[d].entries {
                let key: String
                switch k {
                case .string(let s): key = s
                case .int(let i): key = "\(i)"
                default: key = k.typeName
                }
                try walk(value, path: path + [key], arena: arena, depth: depth + 1, file: file)
            }
        case .list(let l): try walkSequence(arena.lists[l], path: path, arena: arena, depth: depth, file: file)
        case .tuple(let t): try walkSequence(arena.tuples[t], path: path, arena: arena, depth: depth, file: file)
        case .storage, .global:
            throw PyTorchError.badStructure(file: file, path: name, reason: "holds \(v.typeName) outside a tensor")
        default:
            metadata.append((name, Self.render(v)))
        }
    }

    /// A list or tuple: a sequence holding a tensor or container is walked by
    /// index; one of plain values becomes one metadata entry.
    mutating func walkSequence(
        _ items: [PickleValue], path: [String], arena: PickleArena, depth: Int, file: String
    ) throws {
        let plain = items.allSatisfy {
            switch $0 {
            case .none, .bool, .int, .float, .string: true
            default: false
            }
        }
        if plain {
            let text =
                "[" + items.prefix(32).map(Self.render).joined(separator: ", ") + (items.count > 32 ? ", …]" : "]")
            metadata.append((path.isEmpty ? "value" : path.joined(separator: "."), text))
            return
        }
        for (i, item) in items.enumerated() {
            try walk(item, path: path + ["\(i)"], arena: arena, depth: depth + 1, file: file)
        }
    }

    /// A plain value as Python would print it (strings unquoted, bytes by length).
    static func render(_ v: PickleValue) -> String {
        switch v {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): "\(i)"
        case .float(let d): "\(d)"
        case .string(let s): s.count > 200 ? String(s.prefix(200)) + "…" : s
        case .bytes(let d): "<\(d.count) bytes>"
        default: v.typeName
        }
    }
}
