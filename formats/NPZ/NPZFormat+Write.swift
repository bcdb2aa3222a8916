import FairAudit
import Foundation

extension NPZFormat {
    /// Writes `graph` as `.npz` (or `.npy` when `url` ends in `.npy`, or the
    /// source is a bare `.npy`, and there is one tensor), through
    /// `AtomicFile` (verified by reading it back; an existing `url` is
    /// replaced — the caller decides whether that is allowed).
    ///
    /// With an npz `source`: members keep the source's order, names and
    /// compression; an unmodified tensor's record is copied byte for byte; a
    /// modified one is rewritten in its original dtype, byte order, C/Fortran
    /// order and npy version (its header reused verbatim when the shape is
    /// unchanged). Tensors new to the graph are appended, stored. Without a
    /// source: a fresh npz as `np.savez` writes it.
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        let sourcePrefix = try source.map { try FormatRegistry.prefix(of: $0) } ?? []
        let npySource = sourcePrefix.starts(with: NPYHeader.magic)
        let zipSource = ZipArchive.isZip(sourcePrefix, orEmpty: true)
        let bare = npySource || (url.pathExtension.lowercased() == "npy" && !zipSource)
        if bare, graph.tensors.count != 1 {
            throw NPZError.cannotWrite(
                file: url.path, reason: "a .npy file holds exactly one array, the graph has \(graph.tensors.count)")
        }
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                if bare, let t = graph.tensors.first {
                    let data = try npyBytes(t, like: npySource ? bareHeader(source) : nil, file: url.path)
                    do { try data.write(to: tmp) } catch {
                        throw NPZError.cannotWrite(file: url.path, reason: "\(error)")
                    }
                } else {
                    let writer = try archiveWriter(graph, source: zipSource ? source : nil, file: url.path)
                    try NPZError.wrap { try writer.write(to: tmp) }
                }
            },
            verify: { tmp in
                try verify(graph, written: tmp, file: url.path)
            })
    }

    /// The zip of `graph`'s tensors, copying or rewriting `source`'s members.
    static func archiveWriter(_ graph: ModelGraph, source: URL?, file: String) throws -> ZipWriter {
        var writer = ZipWriter()
        var pending = graph.tensors
        if let source {
            let archive = try NPZError.wrap { try ZipArchive(url: source) }
            for entry in archive.entries {
                guard let i = pending.firstIndex(where: { $0.origin == entry.name }) else { continue }
                let t = pending.remove(at: i)
                let header = try memberHeader(archive, entry)
                if !t.isModified, t.dtype == header.dtype, t.byteOrder == header.byteOrder, t.shape == header.shape {
                    try NPZError.wrap { try writer.copy(entry, from: archive) }
                    continue
                }
                let data = try npyBytes(t, like: header, file: file)
                try NPZError.wrap {
                    try writer.add(
                        name: entry.name, data: data, method: entry.method, modTime: entry.modTime,
                        modDate: entry.modDate, localZip64: entry.localZip64,
                        versionMadeBy: entry.versionMadeBy, externalAttributes: entry.externalAttributes)
                }
            }
        }
        for t in pending {
            let member = t.origin.hasSuffix(".npy") ? t.origin : t.name + ".npy"
            let data = try npyBytes(t, like: nil, file: file)
            try NPZError.wrap { try writer.add(name: member, data: data) }
        }
        return writer
    }

    /// The header of the bare `.npy` at `source`.
    static func bareHeader(_ source: URL?) throws -> NPYHeader? {
        guard let source else { return nil }
        let bytes = try NPZError.wrap { try MappedFile(url: source) }
        return try NPYHeader.parse(
            bytes.slice(0..<min(bytes.count, NPYHeader.maxPreamble)), file: source.path, member: nil)
    }

    /// A whole `.npy` for `t`. Following `original` (when given): its
    /// version and Fortran order, and its preamble verbatim if dtype, byte
    /// order and shape are unchanged. Otherwise numpy's own header for C order.
    static func npyBytes(_ t: Tensor, like original: NPYHeader?, file: String) throws -> Data {
        guard let descr = NPYHeader.descr(of: t.dtype, order: t.byteOrder) else {
            throw NPZError.cannotWrite(
                file: file, reason: "tensor '\(t.name)' is \(t.dtype.rawValue), which numpy has no dtype for")
        }
        let raw = try t.rawBytes()
        guard raw.count >= t.byteCount else {
            throw NPZError.cannotWrite(
                file: file, reason: "tensor '\(t.name)' has \(raw.count) bytes, its shape needs \(t.byteCount)")
        }
        let values = raw.count == t.byteCount ? raw : raw.prefix(t.byteCount)
        let fortran = original?.fortranOrder ?? false
        var out: Data
        if let h = original, h.dtype == t.dtype, h.byteOrder == t.byteOrder, h.shape == t.shape {
            out = h.preamble
        } else {
            out = NPYHeader.preamble(descr: descr, fortranOrder: fortran, shape: t.shape, major: original?.major)
        }
        out.append(fortran ? NPYOrder.reorder(values, shape: t.shape, size: t.dtype.byteSize, toC: false) : values)
        return out
    }

    /// Reads `written` back and checks every tensor's name, dtype, shape, byte order and bytes.
    static func verify(_ graph: ModelGraph, written: URL, file: String) throws {
        let back = try read(written)
        guard back.tensors.count == graph.tensors.count else {
            throw NPZError.verifyFailed(
                file: file, member: "*",
                reason: "\(back.tensors.count) arrays read back, \(graph.tensors.count) written")
        }
        let byName = Dictionary(back.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for t in graph.tensors {
            let key = t.origin.hasSuffix(".npy") ? String(t.origin.dropLast(4)) : t.name
            guard let b = byName[key] ?? (back.tensors.count == 1 ? back.tensors.first : nil) else {
                throw NPZError.verifyFailed(file: file, member: t.origin, reason: "missing")
            }
            // The source's bytes first: a corrupt input (bad CRC of a member
            // copied verbatim) is then reported against the input, not the temp file.
            let want = try t.rawBytes().prefix(t.byteCount)
            guard b.dtype == t.dtype, b.shape == t.shape, b.byteOrder == t.byteOrder, try b.rawBytes() == want else {
                throw NPZError.verifyFailed(file: file, member: t.origin, reason: "values or layout differ")
            }
        }
    }
}
