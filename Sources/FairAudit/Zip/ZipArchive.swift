import Foundation

/// A read-only zip archive, memory-mapped: stored members are zero-copy
/// slices of the mapping, deflated members are inflated on demand. Every
/// offset and size is checked against the file before use; duplicate names,
/// overlapping members, encryption, methods other than stored/deflate, and
/// declared sizes deflate could not produce are refused.
public final class ZipArchive: Sendable {
    /// The archive's name in error messages (its path).
    public let name: String
    /// The members in central-directory order.
    public let entries: [ZipEntry]
    /// Offset of the central directory (the end of the member records).
    public let centralDirectoryOffset: Int
    /// The archive's bytes.
    let bytes: MappedFile
    private let index: [String: Int]

    /// The largest uncompressed:compressed ratio accepted for a deflated
    /// member. Deflate cannot exceed about 1032:1, so a larger declared
    /// ratio is a lie (a zip bomb or corruption).
    public static let maxDeflateRatio = 1040

    /// The bytes a zip's first local member header starts with (`PK\u{3}\u{4}`).
    public static let localHeaderSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// The bytes an empty zip starts with: its end-of-directory record (`PK\u{5}\u{6}`).
    public static let emptyArchiveSignature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]

    /// True when `prefix` opens a zip: a local member header, or with
    /// `orEmpty` an empty archive's end record too.
    public static func isZip(_ prefix: [UInt8], orEmpty: Bool = false) -> Bool {
        prefix.starts(with: localHeaderSignature) || (orEmpty && prefix.starts(with: emptyArchiveSignature))
    }

    /// True when the file at `url` opens with a zip local member header.
    public static func isZip(_ url: URL) -> Bool {
        isZip((try? FormatRegistry.prefix(of: url, count: 4)) ?? [])
    }

    /// Opens and maps the archive at `url`.
    public convenience init(url: URL) throws {
        try self.init(bytes: MappedFile(url: url), name: url.path)
    }

    /// Reads an archive held in memory; `name` is used in error messages.
    public convenience init(data: Data, name: String) throws {
        try self.init(bytes: MappedFile(copying: data), name: name)
    }

    init(bytes: MappedFile, name: String) throws {
        self.bytes = bytes
        self.name = name
        let (cdOffset, list) = try ZipArchive.parse(bytes, name: name)
        centralDirectoryOffset = cdOffset
        entries = list
        var index: [String: Int] = [:]
        for (i, e) in list.enumerated() {
            guard index[e.name] == nil else { throw ZipError.duplicateMember(archive: name, member: e.name) }
            index[e.name] = i
        }
        self.index = index
        try ZipArchive.checkNoOverlap(list, end: cdOffset, name: name)
    }

    /// The member called `name`, if any.
    public func entry(named name: String) -> ZipEntry? { index[name].map { entries[$0] } }

    /// The member's local header, compressed bytes and data descriptor, for a byte-exact copy.
    public func rawRecord(for entry: ZipEntry) throws -> Data {
        guard entry.localHeaderOffset >= 0, entry.localHeaderOffset <= entry.recordEnd, entry.recordEnd <= bytes.count
        else {
            throw ZipError.truncated(archive: name, member: entry.name, what: "the member record")
        }
        return bytes.slice(entry.localHeaderOffset..<entry.recordEnd)
    }

    /// The member's compressed bytes as stored.
    public func compressedData(for entry: ZipEntry) throws -> Data {
        guard entry.dataOffset >= 0, entry.compressedSize >= 0, entry.dataOffset <= bytes.count - entry.compressedSize
        else {
            throw ZipError.truncated(archive: name, member: entry.name, what: "the member data")
        }
        return bytes.slice(entry.dataOffset..<(entry.dataOffset + entry.compressedSize))
    }

    /// Sorted by offset, each record must end before the next begins and before the central directory.
    static func checkNoOverlap(_ entries: [ZipEntry], end: Int, name: String) throws {
        let sorted = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.recordEnd > b.localHeaderOffset {
            throw ZipError.overlappingMembers(archive: name, member: a.name, other: b.name)
        }
        if let last = sorted.last, last.recordEnd > end {
            throw ZipError.corrupt(archive: name, member: last.name, reason: "its data runs into the central directory")
        }
    }
}
