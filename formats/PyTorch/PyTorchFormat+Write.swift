import FairAudit
import Foundation

extension PyTorchFormat {
    /// Writes `graph` as a `torch.save` checkpoint through `AtomicFile`
    /// (written to a temporary file, read back and compared, then renamed).
    ///
    /// Based on a checkpoint `source`: every member is copied byte for byte
    /// (`data.pkl` included) except the storages of modified tensors, which
    /// are rewritten with the new values scattered into the view's places,
    /// so `torch.load(weights_only=True)` gives the same structure and
    /// `load_state_dict` accepts it. A modified tensor must keep its dtype and
    /// shape, and no tensor can be added (that would change `data.pkl`).
    /// Without a source: a new checkpoint of one `OrderedDict` of the graph's
    /// tensors, as `torch.save(state_dict)` writes it (`newArchive`).
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        let file = url.path
        var writer: ZipWriter
        var sharing = Set<String>()
        if let source, ZipArchive.isZip(try FormatRegistry.prefix(of: source)),
            canRead(source, prefix: ZipArchive.localHeaderSignature)
        {
            (writer, sharing) = try writeBack(graph, source: source, file: file)
        } else {
            writer = try newArchive(graph, root: "archive", file: file)
        }
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                try PyTorchError.wrap { try writer.write(to: tmp) }
            },
            verify: { tmp in
                let back = try read(tmp)
                let byName = Dictionary(back.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                // A tensor that views a storage another, modified, tensor views has changed with it.
                for t in graph.tensors where !sharing.contains(t.origin) {
                    guard let b = byName[t.origin] ?? byName[t.name] else {
                        throw PyTorchError.verifyFailed(file: file, tensor: t.name, reason: "missing")
                    }
                    let want = try t.rawBytes().prefix(t.byteCount)
                    guard b.dtype == t.dtype, b.shape == t.shape else {
                        throw PyTorchError.verifyFailed(file: file, tensor: t.name, reason: "dtype or shape differ")
                    }
                    let got = try b.rawBytes()
                    let same =
                        b.byteOrder == t.byteOrder
                        ? got == want
                        : try b.doubleValues().elementsEqual(t.doubleValues()) { $0 == $1 || ($0.isNaN && $1.isNaN) }
                    guard same else {
                        throw PyTorchError.verifyFailed(file: file, tensor: t.name, reason: "values differ")
                    }
                }
                writer = ZipWriter()  // the chunks (and the source's mapping) are no longer needed
            })
    }

    /// The source's members, with the storages of modified tensors replaced;
    /// and the unmodified tensors that view one of those storages.
    static func writeBack(_ graph: ModelGraph, source: URL, file: String) throws -> (ZipWriter, Set<String>) {
        let archive = try PyTorchError.wrap { try ZipArchive(url: source) }
        let (layout, checkpoint) = try parse(archive, file: source.path)
        let refs = Dictionary(checkpoint.tensors.map { ($0.name, $0.ref) }, uniquingKeysWith: { a, _ in a })
        var changed: [String: Data] = [:]
        for t in graph.tensors {
            guard let ref = refs[t.origin] else {
                throw PyTorchError.cannotWrite(
                    file: file,
                    reason: "tensor '\(t.name)' is not in \(source.lastPathComponent); "
                        + "a checkpoint's structure is kept as it is (write a new file, or .safetensors, to add "
                        + "tensors)"
                )
            }
            guard t.isModified else { continue }
            guard t.dtype == ref.storage.dtype, t.shape == ref.shape else {
                throw PyTorchError.cannotWrite(
                    file: file,
                    reason: "tensor '\(t.name)' is now \(t.dtype.rawValue) \(t.shape), "
                        + "was \(ref.storage.dtype.rawValue) \(ref.shape); write-back keeps each tensor's dtype and "
                        + "shape"
                )
            }
            let member = layout.storageMember(ref.storage.key)
            guard let entry = archive.entry(named: member) else {
                throw PyTorchError.missingMember(file: source.path, member: member)
            }
            var storage = try changed[member] ?? Data(PyTorchError.wrap { try archive.data(for: entry) })
            let raw = try t.rawBytes()
            guard raw.count >= t.byteCount else {
                throw PyTorchError.cannotWrite(
                    file: file, reason: "tensor '\(t.name)' has \(raw.count) bytes, its shape needs \(t.byteCount)")
            }
            let values =
                t.byteOrder == layout.byteOrder
                ? Data(raw.prefix(t.byteCount))
                : Tensor.encode(try t.doubleValues(), dtype: t.dtype, byteOrder: layout.byteOrder)
            ref.scatter(values, into: &storage)
            changed[member] = storage
        }
        let modified = Set(graph.tensors.filter(\.isModified).map(\.origin))
        let sharing = Set(
            checkpoint.tensors.filter {
                !modified.contains($0.name) && changed[layout.storageMember($0.ref.storage.key)] != nil
            }
            .map(\.name))
        var writer = ZipWriter()
        try PyTorchError.wrap {
            for entry in archive.entries {
                if let data = changed[entry.name] {
                    try writer.add(
                        name: entry.name, data: data, method: 0, modTime: entry.modTime, modDate: entry.modDate,
                        localZip64: entry.localZip64, versionMadeBy: entry.versionMadeBy,
                        externalAttributes: entry.externalAttributes)
                } else {
                    try writer.copy(entry, from: archive)
                }
            }
        }
        return (writer, sharing)
    }
}
