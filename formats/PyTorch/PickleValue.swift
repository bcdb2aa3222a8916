import FairAudit
import Foundation

/// A value the restricted unpickler builds. Only data: nothing here can run
/// code, import a module or construct an arbitrary object. Containers are
/// indices into the unpickler's `PickleArena`, so values stay flat: deep
/// nesting and reference cycles cannot overflow the stack when values are
/// copied or freed.
public enum PickleValue: Sendable {
    /// `None`.
    case none
    /// `True` / `False`.
    case bool(Bool)
    /// An integer that fits 64 bits (larger ones are refused).
    case int(Int)
    /// A `float` (BINFLOAT).
    case float(Double)
    /// A `str`.
    case string(String)
    /// A `bytes` object.
    case bytes(Data)
    /// Index into `PickleArena.tuples`.
    case tuple(Int)
    /// Index into `PickleArena.lists` (a list, or a set's items).
    case list(Int)
    /// Index into `PickleArena.dicts` (a `dict` or `collections.OrderedDict`).
    case dict(Int)
    /// One of the allowed callables, before `REDUCE` applies it.
    case global(PickleGlobal)
    /// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
    case storage(TorchStorageRef)
    /// A tensor rebuilt by `_rebuild_tensor_v2` / `_rebuild_parameter`.
    case tensor(TorchTensorRef)

    /// The Python type name, for messages.
    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global: "a global"
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}

/// Every container the unpickler made. Lists and dicts are shared by index,
/// as Python shares them by reference (`APPEND` on a memoized list changes it
/// everywhere it is referred to).
public struct PickleArena: Sendable {
    /// Tuple items.
    public internal(set) var tuples: [[PickleValue]] = []
    /// List (and set) items.
    public internal(set) var lists: [[PickleValue]] = []
    /// Dict entries in insertion order.
    public internal(set) var dicts: [PickleDict] = []
}

/// A dict's entries in insertion order (assigning an existing key replaces
/// its value in place, as Python does).
public struct PickleDict: Sendable {
    /// The entries, in insertion order.
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var position: [String: Int] = [:]

    /// Sets `key` to `value`; false when the key is not a string, integer, bool or None.
    mutating func set(_ key: PickleValue, _ value: PickleValue) -> Bool {
        guard let k = PickleDict.hashKey(key) else { return false }
        if let i = position[k] {
            entries[i].value = value
        } else {
            position[k] = entries.count
            entries.append((key, value))
        }
        return true
    }

    /// A string identity for a hashable key.
    static func hashKey(_ v: PickleValue) -> String? {
        switch v {
        case .string(let s): "s" + s
        case .int(let i): "i\(i)"
        case .bool(let b): "i\(b ? 1 : 0)"
        case .none: "n"
        default: nil
        }
    }
}

/// The callables a weights-only load allows, and nothing else.
public enum PickleGlobal: Sendable, Equatable {
    /// `collections.OrderedDict`.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3` (an untyped storage and an explicit dtype: uint16/32/64, float8, …).
    case rebuildTensorV3
    /// `torch._utils._rebuild_parameter`.
    case rebuildParameter
    /// `torch.Size`.
    case torchSize
    /// `torch.<Type>Storage` holding elements of `dtype`.
    case storageType(DType)
    /// `torch.storage.UntypedStorage`: bytes, typed by the tensor that views them.
    case untypedStorage
    /// A `torch.<dtype>` object naming an element type fairaudit holds.
    case dtype(DType)
    /// A storage type or dtype a weights-only load allows but fairaudit does
    /// not hold (complex, 8-bit floats, quantized), by name.
    case unsupportedType(String)

    /// The typed storages `torch.save` names, by class name.
    static let storages: [String: DType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    /// `torch.<name>` dtype objects, by name (with PyTorch's aliases).
    static let dtypes: [String: DType] = [
        "float32": .float32, "float": .float32, "float64": .float64, "double": .float64, "float16": .float16,
        "half": .float16, "bfloat16": .bfloat16, "int64": .int64, "long": .int64, "int32": .int32, "int": .int32,
        "int16": .int16, "short": .int16, "int8": .int8, "uint8": .uint8, "bool": .bool, "uint16": .uint16,
        "uint32": .uint32, "uint64": .uint64,
    ]

    /// Types a weights-only load allows that hold no values fairaudit runs.
    static let unsupported: Set<String> = [
        "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "float8_e4m3fn", "float8_e5m2",
        "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "ComplexFloatStorage", "ComplexDoubleStorage",
        "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage", "qint8", "quint8",
        "qint32", "quint4x2", "quint2x4",
    ]

    /// The allowed global `module.name`, or nil for every other.
    static func allowed(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch", "Size"): return .torchSize
        case ("torch.storage", "UntypedStorage"), ("torch", "UntypedStorage"): return .untypedStorage
        case ("torch", _):
            if let d = storages[name] { return .storageType(d) }
            if let d = dtypes[name] { return .dtype(d) }
            return unsupported.contains(name) ? .unsupportedType(name) : nil
        default: return nil
        }
    }
}

/// A storage of a `torch.save` archive: member `data/<key>` holding `numel` elements of `dtype`.
public struct TorchStorageRef: Sendable, Equatable {
    /// The storage's key (its member is `<archive>/data/<key>`).
    public var key: String
    /// The element type of the typed storage.
    public var dtype: DType
    /// Elements the pickle says the storage holds.
    public var numel: Int
}

/// A tensor as `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes it:
/// element (i₀,…,iₙ₋₁) is storage element `offset + Σ iₖ·strideₖ`.
public struct TorchTensorRef: Sendable, Equatable {
    /// The storage it views.
    public var storage: TorchStorageRef
    /// The first element's index in the storage.
    public var offset: Int
    /// The dimensions.
    public var shape: [Int]
    /// Elements to step in the storage per step along each dimension.
    public var stride: [Int]
}
