import FairAudit
import Foundation

extension Unpickler {
    /// The allowed global `module.name`; any other is refused by name before anything is done with it.
    func global(_ module: String, _ name: String, at: Int) throws -> PickleValue {
        guard let g = PickleGlobal.allowed(module: module, name: name) else {
            throw PyTorchError.forbiddenGlobal(file: file, global: "\(module).\(name)")
        }
        return .global(g)
    }

    /// `REDUCE`: applies one of the allowed callables to `args`. Only
    /// `OrderedDict()`, `_rebuild_tensor_v2`, `_rebuild_parameter` and
    /// `torch.Size` are applied; each only builds a value of this module.
    mutating func reduce(_ f: PickleValue, _ args: PickleValue, at: Int) throws -> PickleValue {
        guard case .global(let g) = f else { throw bad("REDUCE calls \(f.typeName), not an allowed global", at: at) }
        guard case .tuple(let t) = args else {
            throw bad("REDUCE with \(args.typeName) arguments, not a tuple", at: at)
        }
        let a = arena.tuples[t]
        switch g {
        case .orderedDict:
            guard a.isEmpty else { throw bad("OrderedDict called with arguments", at: at) }
            return .dict(newDict())
        case .torchSize:
            guard a.count == 1, case .tuple = a[0] else { throw bad("torch.Size called without one tuple", at: at) }
            return a[0]
        case .rebuildParameter:
            guard a.count == 3, case .tensor = a[0], case .bool = a[1] else {
                throw bad("_rebuild_parameter called without (tensor, requires_grad, hooks)", at: at)
            }
            return a[0]
        case .rebuildTensorV2:
            guard a.count == 6 || a.count == 7, case .storage(let s) = a[0], case .int(let offset) = a[1],
                case .tuple(let sizeT) = a[2], case .tuple(let strideT) = a[3], case .bool = a[4]
            else {
                throw bad(
                    "_rebuild_tensor_v2 called without (storage, offset, size, stride, requires_grad, hooks)", at: at)
            }
            return .tensor(
                TorchTensorRef(
                    storage: s, offset: offset, shape: try ints(arena.tuples[sizeT], "size", at: at),
                    stride: try ints(arena.tuples[strideT], "stride", at: at)))
        case .rebuildTensorV3:
            guard a.count == 7 || a.count == 8, case .storage(let s) = a[0], case .int(let offset) = a[1],
                case .tuple(let sizeT) = a[2], case .tuple(let strideT) = a[3], case .bool = a[4],
                case .global(let g) = a[6]
            else {
                throw bad(
                    "_rebuild_tensor_v3 called without (storage, offset, size, stride, requires_grad, hooks, dtype)",
                    at: at)
            }
            let dtype: DType
            switch g {
            case .dtype(let d): dtype = d
            case .unsupportedType(let name): throw PyTorchError.unsupportedDType(file: file, dtype: "torch.\(name)")
            default: throw bad("_rebuild_tensor_v3 with a dtype that is not a torch dtype", at: at)
            }
            // An untyped storage counts bytes; the view counts elements of `dtype`.
            let bytes = s.numel * s.dtype.byteSize
            guard bytes % dtype.byteSize == 0 else {
                throw bad(
                    "storage '\(s.key)' holds \(bytes) bytes, not a whole number of \(dtype.rawValue) elements", at: at)
            }
            let typed = TorchStorageRef(key: s.key, dtype: dtype, numel: bytes / dtype.byteSize)
            return .tensor(
                TorchTensorRef(
                    storage: typed, offset: offset, shape: try ints(arena.tuples[sizeT], "size", at: at),
                    stride: try ints(arena.tuples[strideT], "stride", at: at)))
        case .storageType, .untypedStorage, .dtype:
            throw bad("REDUCE calls a storage type or dtype, which torch.save never does", at: at)
        case .unsupportedType(let name):
            throw PyTorchError.unsupportedDType(file: file, dtype: "torch.\(name)")
        }
    }

    /// The integers of a size or stride tuple.
    func ints(_ items: [PickleValue], _ what: String, at: Int) throws -> [Int] {
        guard items.count <= 64 else { throw bad("a tensor \(what) of \(items.count) dimensions", at: at) }
        return try items.map { v in
            guard case .int(let i) = v else { throw bad("a tensor \(what) holding \(v.typeName)", at: at) }
            return i
        }
    }

    /// `BUILD`: only an `OrderedDict`'s state (a state dict's `_metadata`), which is dropped.
    func build(_ target: PickleValue, _ state: PickleValue, at: Int) throws {
        guard case .dict = target else {
            throw bad("BUILD sets the state of \(target.typeName); only an OrderedDict's is accepted", at: at)
        }
        switch state {
        case .dict, .none, .tuple: return
        default: throw bad("BUILD with a state of \(state.typeName)", at: at)
        }
    }

    /// `BINPERSID`: `('storage', torch.<Type>Storage, key, location, numel)`,
    /// checked against the archive's `data/<key>` member.
    func persistentLoad(_ pid: PickleValue, at: Int) throws -> PickleValue {
        guard case .tuple(let t) = pid else {
            throw bad("a persistent id that is \(pid.typeName), not a tuple", at: at)
        }
        let a = arena.tuples[t]
        guard a.count == 5, case .string("storage") = a[0], case .global(let type) = a[1],
            case .string(let key) = a[2], case .string = a[3], case .int(let numel) = a[4]
        else {
            throw bad("a persistent id that is not ('storage', torch.<Type>Storage, key, location, numel)", at: at)
        }
        let dtype: DType
        switch type {
        case .storageType(let d): dtype = d
        case .untypedStorage: dtype = .uint8
        case .unsupportedType(let name): throw PyTorchError.unsupportedDType(file: file, dtype: "torch.\(name)")
        default: throw bad("a persistent id whose storage type is not a torch storage", at: at)
        }
        guard !key.isEmpty, key.count <= 64, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw bad("storage key '\(key.prefix(64))' is not a plain name", at: at)
        }
        guard numel >= 0 else { throw bad("storage '\(key)' declares \(numel) elements", at: at) }
        let (need, o) = numel.multipliedReportingOverflow(by: dtype.byteSize)
        guard let have = storageBytes(key) else {
            throw bad("storage '\(key)' has no member data/\(key) in the archive", at: at)
        }
        guard !o, need <= have else {
            throw bad(
                "storage '\(key)' declares \(numel) elements of \(dtype.rawValue) but data/\(key) holds \(have) bytes",
                at: at)
        }
        return .storage(TorchStorageRef(key: key, dtype: dtype, numel: numel))
    }
}
