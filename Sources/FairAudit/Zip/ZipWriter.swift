import CZlib
import Foundation

/// Builds a zip archive the way Python's `zipfile` (and so numpy's `savez`)
/// writes one: local header, data, then a central directory, with ZIP64
/// records only where sizes or offsets need them. Members copied from another
/// archive keep their record byte for byte. Bytes are held as a list of
/// chunks (copied records stay slices of the source's mapping) until written.
public struct ZipWriter {
    /// What the central directory will say about one member.
    struct Central {
        var name: Data, flags: UInt16, method: UInt16, time: UInt16, date: UInt16, crc: UInt32
        var csize: Int, usize: Int, offset: Int, madeBy: UInt16, needed: UInt16
        var iattr: UInt16, eattr: UInt32, extra: Data, comment: Data
    }

    /// Sizes and offsets above this get ZIP64 fields (Python's `ZIP64_LIMIT`, 2³¹ − 1).
    static let zip64Limit = (1 << 31) - 1
    private(set) var chunks: [Data] = []
    var central: [Central] = []
    private var names: Set<String> = []
    private var offset = 0

    /// An empty archive.
    public init() {}

    /// Number of bytes of member records written so far.
    public var recordBytes: Int { offset }

    /// Adds a member holding `data`, stored (`method` 0) or deflated (8) at
    /// `level`. The defaults are numpy's: DOS date 1980-01-01 00:00, a local
    /// ZIP64 field carrying the sizes (`force_zip64`), version 4.5, made on
    /// Unix, mode 0600.
    public mutating func add(
        name: String, data: Data, method: UInt16 = 0, level: Int32 = 6,
        modTime: UInt16 = 0, modDate: UInt16 = 0x21, localZip64: Bool = true,
        versionMadeBy: UInt16 = 0x032D, externalAttributes: UInt32 = 0o600 << 16
    ) throws {
        guard !names.contains(name) else { throw ZipError.duplicateMember(archive: "(new archive)", member: name) }
        guard method == 0 || method == 8 else {
            throw ZipError.unsupportedMethod(archive: "(new archive)", member: name, method: method)
        }
        let payload = method == 8 ? try Self.deflate(data, level: level, member: name) : data
        let nameBytes = Data(name.utf8)
        let flags: UInt16 = name.utf8.contains { $0 >= 0x80 } ? 0x0800 : 0
        let crc = zipCRC32(data)
        let needed: UInt16 = localZip64 ? 45 : 20
        var h = Data()
        h.zipLE(ZipArchive.localSignature)
        h.zipLE(needed)
        h.zipLE(flags)
        h.zipLE(method)
        h.zipLE(modTime)
        h.zipLE(modDate)
        h.zipLE(crc)
        if localZip64 {
            h.zipLE(UInt32.max)
            h.zipLE(UInt32.max)
        } else {
            guard data.count <= Self.zip64Limit, payload.count <= Self.zip64Limit else {
                throw ZipError.writeFailed(path: name, reason: "member too large without ZIP64")
            }
            h.zipLE(UInt32(payload.count))
            h.zipLE(UInt32(data.count))
        }
        h.zipLE(UInt16(nameBytes.count))
        h.zipLE(UInt16(localZip64 ? 20 : 0))
        h.append(nameBytes)
        if localZip64 {
            h.zipLE(UInt16(1))
            h.zipLE(UInt16(16))
            h.zipLE(UInt64(data.count))
            h.zipLE(UInt64(payload.count))
        }
        names.insert(name)
        central.append(
            Central(
                name: nameBytes, flags: flags, method: method, time: modTime, date: modDate, crc: crc,
                csize: payload.count, usize: data.count, offset: offset,
                madeBy: versionMadeBy, needed: needed, iattr: 0, eattr: externalAttributes,
                extra: Data(), comment: Data()))
        append(h)
        append(payload)
    }

    /// Copies `entry`'s record from `archive` byte for byte, and its central
    /// directory entry with only the offset changed.
    public mutating func copy(_ entry: ZipEntry, from archive: ZipArchive) throws {
        guard !names.contains(entry.name) else {
            throw ZipError.duplicateMember(archive: "(new archive)", member: entry.name)
        }
        let record = try archive.rawRecord(for: entry)
        names.insert(entry.name)
        central.append(
            Central(
                name: Data(entry.name.utf8), flags: entry.flags, method: entry.method,
                time: entry.modTime, date: entry.modDate, crc: entry.crc32,
                csize: entry.compressedSize, usize: entry.uncompressedSize, offset: offset,
                madeBy: entry.versionMadeBy, needed: entry.versionNeeded,
                iattr: entry.internalAttributes, eattr: entry.externalAttributes,
                extra: entry.centralExtra, comment: entry.comment))
        append(record)
    }

    private mutating func append(_ d: Data) {
        chunks.append(d)
        offset += d.count
    }

    /// The whole archive in memory.
    public func finish() -> Data {
        var out = Data(capacity: offset)
        for c in chunks { out.append(c) }
        out.append(directory())
        return out
    }

    /// Writes the archive to `url` chunk by chunk (creating or truncating it).
    public func write(to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let h = FileHandle(forWritingAtPath: url.path)
        else {
            throw ZipError.writeFailed(path: url.path, reason: "cannot create the file")
        }
        defer { try? h.close() }
        do {
            for c in chunks { try h.write(contentsOf: c) }
            try h.write(contentsOf: directory())
        } catch {
            throw ZipError.writeFailed(path: url.path, reason: "\(error)")
        }
    }
}
