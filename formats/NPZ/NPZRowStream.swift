import FairAudit
import Foundation

/// Arrays of an `.npz` read a run of rows at a time, each from its own
/// member stream (``ZipMemberStream``: stored members copied from the
/// mapping, deflated ones inflated as far as asked), so a large `x` of shape
/// `(N, …)` never sits in memory whole. Members in Fortran order of more
/// than one dimension keep no row together: ``open(_:names:)`` gives nil for
/// them (read them whole with ``NPZData/arrays(_:)``).
public final class NPZRowStream {
    /// One member being read.
    private struct Member {
        var shape: [Int]
        /// Bytes per row (per item for a 1-D array).
        var rowBytes: Int
        /// A numeric member's dtype and byte order; nil for strings.
        var numeric: NPYHeader?
        /// A string member: characters per item, UTF-32 or bytes, big-endian.
        var chars = 0, wide = false, bigEndian = false
        var descr: String
        var stream: ZipMemberStream
        var rowsRead = 0
    }

    private let archive: ZipArchive
    private var members: [String: Member] = [:]
    /// Every member's name (without `.npy`).
    public let names: [String]

    private init(archive: ZipArchive, names: [String]) {
        self.archive = archive
        self.names = names
    }

    /// Opens the members `wanted` of `url` that exist (the others are left
    /// for the caller to name as missing); nil when one of them cannot be
    /// read row by row (Fortran order over several dimensions).
    public static func open(_ url: URL, names wanted: [String]) throws -> NPZRowStream? {
        let archive = try NPZError.wrap { try ZipArchive(url: url) }
        var all: [String] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw NPZError.notNPYMember(file: archive.name, member: entry.name)
            }
            all.append(String(entry.name.dropLast(4)))
        }
        let out = NPZRowStream(archive: archive, names: all)
        for entry in archive.entries where wanted.contains(String(entry.name.dropLast(4))) {
            let head = try NPZError.wrap { try archive.prefix(of: entry, count: NPYHeader.maxPreamble) }
            let f = try NPYHeader.fields(head, file: archive.name, member: entry.name)
            if f.fortran && f.shape.count > 1 { return nil }
            let order = f.descr.first ?? "|"
            let code = "<>|=".contains(order) ? f.descr.dropFirst() : Substring(f.descr)
            let perRow = f.shape.dropFirst().reduce(1, *)
            var member: Member
            if code.first == "U" || code.first == "S" {
                guard let chars = Int(code.dropFirst()), chars > 0, chars <= 1 << 16 else {
                    throw NPZError.unsupportedDType(
                        file: archive.name, member: entry.name, descr: f.descr,
                        reason: "the item size is not a positive number")
                }
                let wide = code.first == "U"
                member = Member(
                    shape: f.shape, rowBytes: perRow * chars * (wide ? 4 : 1), descr: f.descr,
                    stream: try NPZError.wrap { try ZipMemberStream(archive, entry, skipping: f.length) })
                member.chars = chars
                member.wide = wide
                member.bigEndian = order == ">"
            } else {
                let header = try NPZFormat.memberHeader(archive, entry)
                member = Member(
                    shape: header.shape, rowBytes: perRow * header.dtype.byteSize, numeric: header, descr: f.descr,
                    stream: try NPZError.wrap { try ZipMemberStream(archive, entry, skipping: header.dataOffset) })
            }
            let need = (f.shape.first ?? 1) * member.rowBytes
            guard member.stream.remaining >= need else {
                throw NPZError.dataTooShort(
                    file: archive.name, member: entry.name, declared: need,
                    available: member.stream.remaining)
            }
            out.members[String(entry.name.dropLast(4))] = member
        }
        return out
    }

    /// The shape of an opened member, nil when it was not asked for or is missing.
    public func shape(_ name: String) -> [Int]? { members[name]?.shape }

    /// True when the opened member holds strings.
    public func holdsStrings(_ name: String) -> Bool { members[name].map { $0.numeric == nil } ?? false }

    /// The next `rows` rows of member `name` (shape `(rows, …)`): numbers
    /// as doubles, or strings.
    public func next(_ name: String, rows: Int) throws -> DataArray {
        guard var m = members[name] else {
            throw NPZError.notNPYMember(file: archive.name, member: name + ".npy")
        }
        defer { members[name] = m }
        let bytes = rows * m.rowBytes
        var data = Data(count: bytes)
        try data.withUnsafeMutableBytes { raw in
            guard let p = raw.baseAddress else { return }
            try NPZError.wrap { try m.stream.read(into: p, count: bytes) }
        }
        let first = m.rowsRead
        m.rowsRead += rows
        let shape = [rows] + m.shape.dropFirst()
        if let h = m.numeric {
            let t = Tensor(
                name: name, dtype: h.dtype, shape: shape, byteOrder: h.byteOrder, storage: .bytes(data), origin: name)
            return DataArray(shape: shape, numbers: try t.doubleValues())
        }
        let items = rows * m.shape.dropFirst().reduce(1, *)
        let descr = m.descr
        let file = archive.name
        let values = try data.withUnsafeBytes { raw in
            try NPZData.decodeStrings(
                raw, count: items, chars: m.chars, wide: m.wide, bigEndian: m.bigEndian,
                firstItem: first * m.shape.dropFirst().reduce(1, *)
            ) {
                NPZError.unsupportedDType(file: file, member: name + ".npy", descr: descr, reason: $0)
            }
        }
        return DataArray(shape: shape, strings: values)
    }

    /// Reads what is left of every opened member (bytes past the shape's,
    /// as the whole-array read tolerates them) and checks its CRC-32.
    public func finish() throws {
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { scratch.deallocate() }
        for name in members.keys.sorted() {
            guard let m = members[name] else { continue }
            try NPZError.wrap {
                while m.stream.remaining > 0 {
                    try m.stream.read(into: scratch, count: min(m.stream.remaining, 1 << 20))
                }
                try m.stream.finish()
            }
        }
    }
}
