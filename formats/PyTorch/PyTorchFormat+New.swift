import FairAudit
import Foundation

extension PyTorchFormat {
    /// A new checkpoint holding one `OrderedDict` of the graph's tensors, as
    /// `torch.save(state_dict, f)` lays it out: `<root>/data.pkl`,
    /// `<root>/byteorder`, one `<root>/data/<k>` per tensor (little-endian,
    /// C order), `<root>/version` (`3`).
    static func newArchive(_ graph: ModelGraph, root: String, file: String) throws -> ZipWriter {
        var pickle = PickleWriter()
        var storages: [Data] = []
        pickle.proto()
        pickle.global("collections", "OrderedDict")
        pickle.emptyTuple()
        pickle.reduce()
        pickle.mark()
        var names = Set<String>()
        for t in graph.tensors {
            guard names.insert(t.name).inserted else {
                throw PyTorchError.cannotWrite(file: file, reason: "two tensors are named '\(t.name)'")
            }
            // A typed storage and _rebuild_tensor_v2 where torch has one (as torch.save writes them);
            // uint16/32/64 as torch writes those: an untyped storage and _rebuild_tensor_v3 with the dtype.
            let storageType = PickleGlobal.storages.first(where: { $0.value == t.dtype })?.key
            let dtypeName = PickleGlobal.dtypes.first(where: { $0.value == t.dtype && $0.key == t.dtype.rawValue })?.key
            guard storageType != nil || dtypeName != nil else {
                throw PyTorchError.cannotWrite(
                    file: file,
                    reason: "tensor '\(t.name)' is \(t.dtype.rawValue), which torch.save has no storage type for")
            }
            let raw = try t.rawBytes()
            guard raw.count >= t.byteCount else {
                throw PyTorchError.cannotWrite(
                    file: file, reason: "tensor '\(t.name)' has \(raw.count) bytes, its shape needs \(t.byteCount)")
            }
            storages.append(
                t.byteOrder == .little
                    ? Data(raw.prefix(t.byteCount))
                    : Tensor.encode(try t.doubleValues(), dtype: t.dtype, byteOrder: .little))
            var stride = [Int](repeating: 1, count: t.shape.count)
            for k in stride.indices.reversed().dropFirst() { stride[k] = stride[k + 1] * t.shape[k + 1] }
            pickle.string(t.name)
            pickle.global("torch._utils", storageType != nil ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3")
            pickle.mark()
            pickle.mark()
            pickle.string("storage")
            if let storageType {
                pickle.global("torch", storageType)
            } else {
                pickle.global("torch.storage", "UntypedStorage")
            }
            pickle.string("\(storages.count - 1)")
            pickle.string("cpu")
            pickle.int(storageType != nil ? t.elementCount : t.byteCount)
            pickle.tuple()
            pickle.persistentID()
            pickle.int(0)
            pickle.intTuple(t.shape)
            pickle.intTuple(stride)
            pickle.bool(false)
            pickle.global("collections", "OrderedDict")
            pickle.emptyTuple()
            pickle.reduce()
            if storageType == nil, let dtypeName { pickle.global("torch", dtypeName) }
            pickle.tuple()
            pickle.reduce()
        }
        pickle.setItems()
        pickle.stop()
        var writer = ZipWriter()
        try PyTorchError.wrap {
            try writer.add(name: "\(root)/data.pkl", data: pickle.bytes)
            try writer.add(name: "\(root)/byteorder", data: Data("little".utf8))
            for (k, d) in storages.enumerated() { try writer.add(name: "\(root)/data/\(k)", data: d) }
            try writer.add(name: "\(root)/version", data: Data("3\n".utf8))
        }
        return writer
    }
}

/// Emits the protocol-2 pickle opcodes `newArchive` needs.
struct PickleWriter {
    var bytes = Data()

    mutating func proto() { bytes.append(contentsOf: [0x80, 0x02]) }
    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func persistentID() { bytes.append(0x51) }
    mutating func stop() { bytes.append(0x2E) }
    mutating func bool(_ b: Bool) { bytes.append(b ? 0x88 : 0x89) }

    /// `GLOBAL module\nname\n`.
    mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)
        bytes.append(contentsOf: Array("\(module)\n\(name)\n".utf8))
    }

    /// `BINUNICODE`.
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes.append(0x58)
        withUnsafeBytes(of: UInt32(u.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: u)
    }

    /// `BININT` when it fits 32 bits, else `LONG1` of 8 bytes.
    mutating func int(_ v: Int) {
        if let small = Int32(exactly: v) {
            bytes.append(0x4A)
            withUnsafeBytes(of: small.littleEndian) { bytes.append(contentsOf: $0) }
        } else {
            bytes.append(contentsOf: [0x8A, 0x08])
            withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    /// A tuple of integers.
    mutating func intTuple(_ values: [Int]) {
        mark()
        for v in values { int(v) }
        tuple()
    }
}
