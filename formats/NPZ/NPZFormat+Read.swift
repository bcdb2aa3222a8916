import FairAudit
import Foundation

extension NPZFormat {
    /// Reads an `.npz` or a bare `.npy` into a graph whose tensor values are
    /// read lazily (see the type's documentation). Only headers are parsed here.
    public static func read(_ url: URL) throws -> ModelGraph {
        let file = url.path
        let bytes = try NPZError.wrap { try MappedFile(url: url) }
        let head = bytes.slice(0..<min(bytes.count, NPYHeader.maxPreamble))
        if head.starts(with: NPYHeader.magic) { return try readBare(url, bytes: bytes, head: head) }
        let archive = try NPZError.wrap { try ZipArchive(url: url) }
        var tensors: [Tensor] = []
        var versions = Set<String>()
        var methods = Set<String>()
        var fortran = 0
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else { throw NPZError.notNPYMember(file: file, member: entry.name) }
            let header = try memberHeader(archive, entry)
            versions.insert("\(header.major).\(header.minor)")
            methods.insert(entry.method == 8 ? "deflate" : "stored")
            if header.fortranOrder { fortran += 1 }
            let storage = TensorStorage.deferred { [archive, entry, header] in
                try memberValues(archive, entry, header)
            }
            tensors.append(
                Tensor(
                    name: String(entry.name.dropLast(4)), dtype: header.dtype, shape: header.shape,
                    byteOrder: header.byteOrder, storage: storage, origin: entry.name))
        }
        var metadata: [(key: String, value: String)] = [
            ("container", "zip"), ("members", "\(archive.entries.count)"),
            ("npy_version", versions.sorted().joined(separator: ", ")),
            ("compression", methods.sorted().joined(separator: ", ")),
        ]
        if fortran > 0 { metadata.append(("fortran_order_members", "\(fortran)")) }
        return ModelGraph(
            format: name, layout: StateDictLayout.detect(tensors), tensors: tensors,
            metadata: metadata, source: url)
    }

    /// Parses a member's `.npy` header (inflating only its start) and checks
    /// the member holds the bytes its shape needs.
    static func memberHeader(_ archive: ZipArchive, _ entry: ZipEntry) throws -> NPYHeader {
        let head = try NPZError.wrap { try archive.prefix(of: entry, count: NPYHeader.maxPreamble) }
        let header = try NPYHeader.parse(head, file: archive.name, member: entry.name)
        let available = entry.uncompressedSize - header.dataOffset
        guard available >= header.byteCount else {
            throw NPZError.dataTooShort(
                file: archive.name, member: entry.name, declared: header.byteCount,
                available: max(0, available))
        }
        return header
    }

    /// A member's values as C-order bytes (CRC-checked; zero-copy when stored in C order).
    static func memberValues(_ archive: ZipArchive, _ entry: ZipEntry, _ header: NPYHeader) throws -> Data {
        let data = try NPZError.wrap { try archive.data(for: entry, skipping: header.dataOffset) }
        guard data.count >= header.byteCount else {
            throw NPZError.dataTooShort(
                file: archive.name, member: entry.name, declared: header.byteCount,
                available: data.count)
        }
        let exact = data.count == header.byteCount ? data : data.prefix(header.byteCount)
        guard header.fortranOrder else { return exact }
        return NPYOrder.reorder(exact, shape: header.shape, size: header.dtype.byteSize, toC: true)
    }

    /// A bare `.npy`: one tensor named after the file's stem, a slice of the mapping.
    static func readBare(_ url: URL, bytes: MappedFile, head: Data) throws -> ModelGraph {
        let header = try NPYHeader.parse(head, file: url.path, member: nil)
        let available = bytes.count - header.dataOffset
        guard available >= header.byteCount else {
            throw NPZError.dataTooShort(
                file: url.path, member: nil, declared: header.byteCount, available: max(0, available))
        }
        let data = bytes.slice(header.dataOffset..<(header.dataOffset + header.byteCount))
        let storage: TensorStorage =
            header.fortranOrder
            ? .deferred { NPYOrder.reorder(data, shape: header.shape, size: header.dtype.byteSize, toC: true) }
            : .bytes(data)
        let tensor = Tensor(
            name: url.deletingPathExtension().lastPathComponent, dtype: header.dtype,
            shape: header.shape, byteOrder: header.byteOrder, storage: storage,
            origin: url.lastPathComponent)
        return ModelGraph(
            format: name, layout: .arrays, tensors: [tensor],
            metadata: [
                ("container", "npy"), ("npy_version", "\(header.major).\(header.minor)"),
                ("fortran_order", header.fortranOrder ? "true" : "false"),
            ],
            source: url)
    }
}
