import Foundation

extension ZipArchive {
    /// Where a member's data starts and its record ends, from its local header.
    struct LocalRecord {
        var dataOffset: Int
        var recordEnd: Int
        var zip64: Bool
    }

    /// Reads the local header at `o`, checks it agrees with the central
    /// directory (same name; same CRC and sizes unless they are in a data
    /// descriptor), and finds the end of the data descriptor if there is one.
    static func localRecord(
        _ b: MappedFile, at o: Int, member: String, nameBytes: Data, flags: UInt16, crc: UInt32,
        csize: Int, usize: Int, dataEnd: Int, name: String
    ) throws -> LocalRecord {
        guard o <= dataEnd - 30, b.le(UInt32.self, at: o) == localSignature,
            let lcrc = b.le(UInt32.self, at: o + 14), let lc = b.le(UInt32.self, at: o + 18),
            let lu = b.le(UInt32.self, at: o + 22), let nlen = b.le(UInt16.self, at: o + 26),
            let xlen = b.le(UInt16.self, at: o + 28)
        else {
            throw ZipError.truncated(archive: name, member: member, what: "the local header")
        }
        let dataOffset = o + 30 + Int(nlen) + Int(xlen)
        guard dataOffset <= dataEnd, csize <= dataEnd - dataOffset else {
            throw ZipError.truncated(archive: name, member: member, what: "the member data")
        }
        guard b.slice((o + 30)..<(o + 30 + Int(nlen))) == nameBytes else {
            throw ZipError.corrupt(archive: name, member: member, reason: "the local header names a different member")
        }
        var zip64 = false
        var sizes64: [UInt64] = []
        try forEachExtra(b, (o + 30 + Int(nlen))..<dataOffset, member: member, name: name) { id, r in
            guard id == 0x0001 else { return }
            zip64 = true
            var q = r.lowerBound
            while q + 8 <= r.upperBound, let v = b.le(UInt64.self, at: q) {
                sizes64.append(v)
                q += 8
            }
        }
        var end = dataOffset + csize
        if flags & 0x0008 != 0 {
            end += try descriptorLength(
                b, at: end, crc: crc, csize: csize, usize: usize, dataEnd: dataEnd,
                member: member, name: name)
        } else {
            // Sizes in the local header are 0xFFFFFFFF with the real ones in its ZIP64 field (numpy's way).
            let u = lu == 0xFFFF_FFFF && sizes64.count >= 1 ? sizes64[0] : UInt64(lu)
            let c = lc == 0xFFFF_FFFF && sizes64.count >= 2 ? sizes64[1] : UInt64(lc)
            guard lcrc == crc, u == UInt64(usize), c == UInt64(csize) else {
                throw ZipError.corrupt(
                    archive: name, member: member,
                    reason: "the local header and the central directory disagree on CRC or sizes")
            }
        }
        return LocalRecord(dataOffset: dataOffset, recordEnd: end, zip64: zip64)
    }

    /// Length of the data descriptor at `p`: optional signature, CRC, then
    /// sizes of 4 or 8 bytes each (whichever matches the central directory).
    static func descriptorLength(
        _ b: MappedFile, at p: Int, crc: UInt32, csize: Int, usize: Int, dataEnd: Int,
        member: String, name: String
    ) throws -> Int {
        let start = b.le(UInt32.self, at: p) == descriptorSignature && crc != descriptorSignature ? 4 : 0
        let q = p + start
        if q + 12 <= dataEnd, b.le(UInt32.self, at: q) == crc,
            b.le(UInt32.self, at: q + 4).map(Int.init) == csize, b.le(UInt32.self, at: q + 8).map(Int.init) == usize
        {
            return start + 12
        }
        if q + 20 <= dataEnd, b.le(UInt32.self, at: q) == crc,
            b.le(UInt64.self, at: q + 4) == UInt64(csize), b.le(UInt64.self, at: q + 12) == UInt64(usize)
        {
            return start + 20
        }
        throw ZipError.corrupt(
            archive: name, member: member, reason: "its data descriptor does not match the central directory")
    }
}
