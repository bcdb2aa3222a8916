import FairAudit
import Foundation

extension PyTorchFormat {
    /// Reads a `torch.save` zip checkpoint into a graph; tensor values are
    /// read from their storages when first asked for.
    public static func read(_ url: URL) throws -> ModelGraph {
        let file = url.path
        let prefix = try FormatRegistry.prefix(of: url)
        guard prefix.starts(with: [0x50, 0x4B]) else {
            if prefix.count >= 2, prefix[0] == 0x80 { throw refuseBarePickle(prefix, file: file) }
            throw PyTorchError.unsupportedKind(file: file, kind: "not a zip archive", hint: "expected a torch.save checkpoint")
        }
        let archive = try PyTorchError.wrap { try ZipArchive(url: url) }
        let (layout, checkpoint) = try parse(archive, file: file)
        var tensors: [Tensor] = []
        for (name, ref) in checkpoint.tensors {
            let member = layout.storageMember(ref.storage.key)
            guard let entry = archive.entry(named: member) else { throw PyTorchError.missingMember(file: file, member: member) }
            let storage = TensorStorage.deferred { [archive, entry, ref] in try values(of: ref, in: entry, of: archive) }
            tensors.append(Tensor(name: name, dtype: ref.storage.dtype, shape: ref.shape, byteOrder: layout.byteOrder,
                                  storage: storage, origin: name))
        }
        let storages = Set(checkpoint.tensors.map(\.ref.storage.key)).count
        var metadata: [(key: String, value: String)] = [("archive", layout.root), ("storages", "\(storages)"),
                                                        ("byteorder", layout.byteOrder.rawValue)]
        metadata += checkpoint.metadata
        return ModelGraph(format: name, layout: StateDictLayout.detect(tensors), tensors: tensors,
                          metadata: metadata, source: url)
    }

    /// The archive's layout and its walked pickle.
    static func parse(_ archive: ZipArchive, file: String) throws -> (Layout, Checkpoint) {
        let layout = try layout(of: archive, file: file)
        let pickle = try PyTorchError.wrap { try archive.data(for: layout.pickle) }
        let checkpoint = try Checkpoint.parse([UInt8](pickle), file: file) { key in
            archive.entry(named: layout.storageMember(key))?.uncompressedSize
        }
        return (layout, checkpoint)
    }

    /// A tensor's C-order bytes: a zero-copy slice of a stored, contiguous
    /// storage (CRC-checked), else gathered from the storage's bytes.
    static func values(of ref: TorchTensorRef, in entry: ZipEntry, of archive: ZipArchive) throws -> Data {
        let size = ref.storage.dtype.byteSize, count = ref.elementCount
        if count == 0 { return Data() }
        if ref.isContiguous {
            let data = try PyTorchError.wrap { try archive.data(for: entry, skipping: ref.offset * size) }
            return data.count == count * size ? data : data.prefix(count * size)
        }
        return ref.materialize(try PyTorchError.wrap { try archive.data(for: entry) })
    }
}
