import Foundation

/// A file format fairaudit reads model weights from and writes them back to.
/// One conforming type per folder under `formats/`.
public protocol ModelFormat: Sendable {
    /// Short name used in reports and `--json` (`"npz"`, `"hdf5"`).
    static var name: String { get }
    /// File extensions (without dot) `convert` maps to this format for output.
    static var fileExtensions: [String] { get }
    /// True when the file is this format, judged by its content (the first
    /// bytes in `prefix`, and where needed a look inside), never its extension.
    static func canRead(_ url: URL, prefix: [UInt8]) -> Bool
    /// Reads the file into the common graph, values left lazy where possible.
    static func read(_ url: URL) throws -> ModelGraph
    /// Writes `graph` to `url`. With a `source` of the same format, the
    /// source is copied and only modified tensors are rewritten; without one
    /// a new file is made from the graph alone.
    static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws
    /// The file's parts as raw bytes, by name, in file order: what an
    /// unchanged write must keep byte-identical part by part, and a write
    /// that changes one tensor must change in that tensor's part only.
    static func members(of url: URL) throws -> [(name: String, bytes: Data)]
}

extension ModelFormat {
    /// The whole file as one part: formats that rewrite a file in place
    /// (HDF5) keep it byte-identical only as a whole.
    public static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        [(url.lastPathComponent, try Data(contentsOf: url))]
    }
}

extension ZipArchive {
    /// Each member's record (local header, data, descriptor) by member name.
    public static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        let zip = try ZipArchive(url: url)
        return try zip.entries.map { ($0.name, try zip.rawRecord(for: $0)) }
    }
}

/// An immutable list of formats that picks one for a file by its magic bytes.
public struct FormatRegistry: Sendable {
    /// The formats, in the order they are asked.
    public let formats: [any ModelFormat.Type]

    /// Creates a registry of `formats`.
    public init(_ formats: [any ModelFormat.Type]) { self.formats = formats }

    /// The first format whose `canRead` accepts the file.
    public func format(for url: URL) throws -> any ModelFormat.Type {
        let prefix = try Self.prefix(of: url)
        guard let f = formats.first(where: { $0.canRead(url, prefix: prefix) }) else {
            throw FairAuditError.unknownFormat(path: url.path)
        }
        return f
    }

    /// The format named `name`.
    public func format(named name: String) -> (any ModelFormat.Type)? {
        formats.first { $0.name == name }
    }

    /// The format that writes files ending in `.ext` (the longest matching extension wins).
    public func format(forOutput url: URL) -> (any ModelFormat.Type)? {
        let file = url.lastPathComponent.lowercased()
        var best: (any ModelFormat.Type, Int)?
        for f in formats {
            for ext in f.fileExtensions where file.hasSuffix("." + ext) {
                if ext.count > (best?.1 ?? -1) { best = (f, ext.count) }
            }
        }
        return best?.0
    }

    /// Reads `url` with the format its content names.
    public func read(_ url: URL) throws -> ModelGraph {
        try format(for: url).read(url)
    }

    /// The first 512 bytes of the file (fewer when it is shorter).
    public static func prefix(of url: URL, count: Int = 512) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw FairAuditError.unreadableFile(path: url.path, reason: "no such file")
        }
        guard !isDir.boolValue else {
            throw FairAuditError.unreadableFile(path: url.path, reason: "is a directory")
        }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw FairAuditError.unreadableFile(path: url.path, reason: "permission denied")
        }
        defer { try? handle.close() }
        return [UInt8]((try? handle.read(upToCount: count)) ?? Data())
    }
}
