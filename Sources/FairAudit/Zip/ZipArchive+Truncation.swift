import Foundation

extension ZipArchive {
    /// The error for an archive without an end record. When it starts like a
    /// zip, walks the local headers to name the member the file ends in, so a
    /// cut-short download reads as "truncated in member X".
    static func missingEndRecord(_ b: MappedFile, name: String) -> ZipError {
        guard b.le(UInt32.self, at: 0) == localSignature else { return .notAZip(archive: name) }
        var p = 0
        var last: String?
        // Each step moves past ≥ 30 bytes, so the walk ends within count / 30 steps.
        while p <= b.count - 4, b.le(UInt32.self, at: p) == localSignature {
            guard let flags = b.le(UInt16.self, at: p + 6), let c32 = b.le(UInt32.self, at: p + 18),
                let nlen = b.le(UInt16.self, at: p + 26), let xlen = b.le(UInt16.self, at: p + 28),
                p + 30 + Int(nlen) <= b.count
            else {
                return .truncated(archive: name, member: last, what: "a local header")
            }
            let member = String(decoding: b.slice((p + 30)..<(p + 30 + Int(nlen))), as: UTF8.self)
            let extraEnd = p + 30 + Int(nlen) + Int(xlen)
            guard extraEnd <= b.count else {
                return .truncated(archive: name, member: member, what: "the local header")
            }
            var csize = UInt64(c32)
            if c32 == 0xFFFF_FFFF {
                // numpy's local ZIP64 field: uncompressed size, then compressed size.
                try? forEachExtra(b, (p + 30 + Int(nlen))..<extraEnd, member: member, name: name) { id, r in
                    if id == 0x0001, r.count >= 16, let c = b.le(UInt64.self, at: r.lowerBound + 8) { csize = c }
                }
            }
            guard flags & 0x0008 == 0 else {
                return .truncated(archive: name, member: member, what: "the archive after this member")
            }
            guard csize <= UInt64(b.count - extraEnd) else {
                return .truncated(archive: name, member: member, what: "the member data")
            }
            last = member
            p = extraEnd + Int(csize)
        }
        return .truncated(archive: name, member: last, what: "the central directory after this member")
    }
}
