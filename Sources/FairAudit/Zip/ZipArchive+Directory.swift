import Foundation

extension ZipArchive {
    static let eocdSignature: UInt32 = 0x0605_4b50
    static let zip64EOCDSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let localSignature: UInt32 = 0x0403_4b50
    static let descriptorSignature: UInt32 = 0x0807_4b50

    /// Finds the end records and reads the central directory: (its offset, the entries).
    static func parse(_ b: MappedFile, name: String) throws -> (Int, [ZipEntry]) {
        guard b.count >= 22 else { throw missingEndRecord(b, name: name) }
        // The EOCD is the last 22 bytes plus a comment of at most 65535 bytes.
        var eocd = -1
        var pos = b.count - 22
        let lowest = max(0, b.count - 22 - 65535)
        while pos >= lowest {
            if b.le(UInt32.self, at: pos) == eocdSignature,
                let clen = b.le(UInt16.self, at: pos + 20), pos + 22 + Int(clen) <= b.count
            {
                eocd = pos
                break
            }
            pos -= 1
        }
        guard eocd >= 0, let disk = b.le(UInt16.self, at: eocd + 4), let cdDisk = b.le(UInt16.self, at: eocd + 6),
            let count16 = b.le(UInt16.self, at: eocd + 10), let size32 = b.le(UInt32.self, at: eocd + 12),
            let offset32 = b.le(UInt32.self, at: eocd + 16)
        else { throw missingEndRecord(b, name: name) }
        var count = Int(count16)
        var cdSize = Int(size32)
        var cdOffset = Int(offset32)
        var cdEnd = eocd
        if count16 == 0xFFFF || size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF,
            eocd >= 20, b.le(UInt32.self, at: eocd - 20) == zip64LocatorSignature
        {
            guard let at64 = b.le(UInt64.self, at: eocd - 12), at64 <= UInt64(eocd - 20),
                b.le(UInt32.self, at: Int(at64)) == zip64EOCDSignature,
                let c64 = b.le(UInt64.self, at: Int(at64) + 32), let s64 = b.le(UInt64.self, at: Int(at64) + 40),
                let o64 = b.le(UInt64.self, at: Int(at64) + 48),
                c64 <= UInt64(b.count), s64 <= UInt64(b.count), o64 <= UInt64(b.count)
            else {
                throw ZipError.corrupt(archive: name, member: nil, reason: "bad ZIP64 end-of-central-directory record")
            }
            count = Int(c64)
            cdSize = Int(s64)
            cdOffset = Int(o64)
            cdEnd = Int(at64)
        }
        guard disk == 0, cdDisk == 0 else {
            throw ZipError.corrupt(archive: name, member: nil, reason: "multi-disk archives are not supported")
        }
        guard cdOffset <= cdEnd, cdSize <= cdEnd - cdOffset else {
            throw ZipError.truncated(archive: name, member: nil, what: "the central directory")
        }
        guard count <= cdSize / 46 else {
            throw ZipError.corrupt(
                archive: name, member: nil, reason: "\(count) entries cannot fit a \(cdSize)-byte central directory")
        }
        var entries: [ZipEntry] = []
        entries.reserveCapacity(count)
        var p = cdOffset
        for _ in 0..<count {
            let (entry, next) = try centralEntry(b, at: p, limit: cdOffset + cdSize, dataEnd: cdOffset, name: name)
            entries.append(entry)
            p = next
        }
        return (cdOffset, entries)
    }

    /// Reads the central-directory entry at `p` and its local header; returns it and the next entry's offset.
    static func centralEntry(
        _ b: MappedFile, at p: Int, limit: Int, dataEnd: Int, name: String
    ) throws -> (ZipEntry, Int) {
        guard p <= limit - 46, b.le(UInt32.self, at: p) == centralSignature,
            let madeBy = b.le(UInt16.self, at: p + 4), let needed = b.le(UInt16.self, at: p + 6),
            let flags = b.le(UInt16.self, at: p + 8), let method = b.le(UInt16.self, at: p + 10),
            let time = b.le(UInt16.self, at: p + 12), let date = b.le(UInt16.self, at: p + 14),
            let crc = b.le(UInt32.self, at: p + 16), let c32 = b.le(UInt32.self, at: p + 20),
            let u32 = b.le(UInt32.self, at: p + 24), let nlen = b.le(UInt16.self, at: p + 28),
            let xlen = b.le(UInt16.self, at: p + 30), let clen = b.le(UInt16.self, at: p + 32),
            let iattr = b.le(UInt16.self, at: p + 36), let eattr = b.le(UInt32.self, at: p + 38),
            let off32 = b.le(UInt32.self, at: p + 42)
        else {
            throw ZipError.corrupt(archive: name, member: nil, reason: "bad central directory entry at offset \(p)")
        }
        let next = p + 46 + Int(nlen) + Int(xlen) + Int(clen)
        guard next <= limit else {
            throw ZipError.truncated(archive: name, member: nil, what: "a central directory entry")
        }
        let nameBytes = b.slice((p + 46)..<(p + 46 + Int(nlen)))
        let member = String(data: nameBytes, encoding: .utf8) ?? String(decoding: nameBytes, as: UTF8.self)
        let extraRange = (p + 46 + Int(nlen))..<(p + 46 + Int(nlen) + Int(xlen))
        var usize = UInt64(u32)
        var csize = UInt64(c32)
        var offset = UInt64(off32)
        var otherExtra = Data()
        try forEachExtra(b, extraRange, member: member, name: name) { id, r in
            guard id == 0x0001 else {
                otherExtra.append(b.slice(r.lowerBound - 4..<r.upperBound))
                return
            }
            var q = r.lowerBound
            func take(_ v: inout UInt64, _ marker: Bool) throws {
                guard marker else { return }
                guard q + 8 <= r.upperBound, let x = b.le(UInt64.self, at: q) else {
                    throw ZipError.corrupt(archive: name, member: member, reason: "short ZIP64 extra field")
                }
                v = x
                q += 8
            }
            try take(&usize, u32 == 0xFFFF_FFFF)
            try take(&csize, c32 == 0xFFFF_FFFF)
            try take(&offset, off32 == 0xFFFF_FFFF)
        }
        if flags & 0x0041 != 0 { throw ZipError.encrypted(archive: name, member: member) }
        guard method == 0 || method == 8 else {
            throw ZipError.unsupportedMethod(archive: name, member: member, method: method)
        }
        guard csize <= UInt64(dataEnd), offset <= UInt64(dataEnd), usize <= UInt64(Int.max / 2) else {
            throw ZipError.truncated(archive: name, member: member, what: "the declared size or offset")
        }
        let (c, u, o) = (Int(csize), Int(usize), Int(offset))
        if method == 0, c != u {
            throw ZipError.corrupt(
                archive: name, member: member, reason: "stored with compressed size \(c) ≠ size \(u)")
        }
        if method == 8, u > max(c, 1) * maxDeflateRatio {
            throw ZipError.suspiciousRatio(archive: name, member: member, compressed: c, uncompressed: u)
        }
        let local = try localRecord(
            b, at: o, member: member, nameBytes: nameBytes, flags: flags, crc: crc,
            csize: c, usize: u, dataEnd: dataEnd, name: name)
        let entry = ZipEntry(
            name: member, method: method, flags: flags, crc32: crc, compressedSize: c,
            uncompressedSize: u, localHeaderOffset: o, dataOffset: local.dataOffset,
            recordEnd: local.recordEnd, modTime: time, modDate: date, versionMadeBy: madeBy,
            versionNeeded: needed, internalAttributes: iattr, externalAttributes: eattr,
            centralExtra: otherExtra,
            comment: b.slice((next - Int(clen))..<next), localZip64: local.zip64)
        return (entry, next)
    }

    /// Calls `body(id, payloadRange)` for each extra field in `range`.
    static func forEachExtra(
        _ b: MappedFile, _ range: Range<Int>, member: String, name: String,
        _ body: (UInt16, Range<Int>) throws -> Void
    ) throws {
        var q = range.lowerBound
        while q + 4 <= range.upperBound {
            guard let id = b.le(UInt16.self, at: q), let len = b.le(UInt16.self, at: q + 2),
                q + 4 + Int(len) <= range.upperBound
            else {
                throw ZipError.corrupt(archive: name, member: member, reason: "an extra field runs past its header")
            }
            try body(id, (q + 4)..<(q + 4 + Int(len)))
            q += 4 + Int(len)
        }
    }
}
