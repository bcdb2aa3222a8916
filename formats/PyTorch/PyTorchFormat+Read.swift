import FairAudit
import Foundation

extension PyTorchFormat {
    /// Reads a `torch.save` zip checkpoint into a graph; tensor values are
    /// read from their storages when first asked for.
    public static func read(_ url: URL) throws -> ModelGraph {
        let file = url.path
        let prefix = try FormatRegistry.prefix(of: url)
        guard ZipArchive.isZip(prefix, orEmpty: true) else {
            if prefix.count >= 2, prefix[0] == 0x80 { throw refuseBarePickle(prefix, file: file) }
            throw PyTorchError.unsupportedKind(
                file: file, kind: "not a zip archive", hint: "expected a torch.save checkpoint")
        }
        let archive = try PyTorchError.wrap { try ZipArchive(url: url) }
        let (layout, checkpoint) = try parse(archive, file: file)
        var tensors: [Tensor] = []
        for (name, ref) in checkpoint.tensors {
            let member = layout.storageMember(ref.storage.key)
            guard let entry = archive.entry(named: member) else {
                throw PyTorchError.missingMember(file: file, member: member)
            }
            let storage = TensorStorage.deferred { [archive, entry, ref] in try values(of: ref, in: entry, of: archive)
            }
            tensors.append(
                Tensor(
                    name: name, dtype: ref.storage.dtype, shape: ref.shape, byteOrder: layout.byteOrder,
                    storage: storage, origin: name))
        }
        let storages = Set(checkpoint.tensors.map(\.ref.storage.key)).count
        var metadata: [(key: String, value: String)] = [
            ("archive", layout.root), ("storages", "\(storages)"),
            ("byteorder", layout.byteOrder.rawValue),
        ]
        metadata += checkpoint.metadata
        return ModelGraph(
            format: name, layout: StateDictLayout.detect(tensors), tensors: tensors,
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

    /// A tensor's C-order bytes. A stored storage is read as `torch.load`
    /// reads it: straight from the mapping, without its CRC-32 (`data.pkl`'s
    /// is checked); a view of the whole storage from offset 0 is a zero-copy
    /// slice, another contiguous view a copy of its run, a non-contiguous one
    /// gathered element by element. A deflated storage is inflated and checked.
    static func values(of ref: TorchTensorRef, in entry: ZipEntry, of archive: ZipArchive) throws -> Data {
        let size = ref.storage.dtype.byteSize
        let count = ref.elementCount
        if count == 0 { return Data() }
        let whole = try PyTorchError.wrap {
            entry.method == 0 ? try archive.compressedData(for: entry) : try archive.data(for: entry)
        }
        guard ref.isContiguous else { return ref.materialize(whole) }
        let range = (ref.offset * size)..<((ref.offset + count) * size)
        guard range.upperBound <= whole.count else {
            throw PyTorchError.zip(.truncated(archive: archive.name, member: entry.name, what: "the tensor's bytes"))
        }
        return range.lowerBound == 0 ? whole.prefix(range.count) : whole.subdata(in: range)
    }
}
