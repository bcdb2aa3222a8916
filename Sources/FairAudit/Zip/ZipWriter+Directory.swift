import CZlib
import Foundation

extension ZipWriter {
    /// The central directory and end records, as Python's `zipfile` writes them.
    func directory() -> Data {
        var d = Data()
        let limit = Self.zip64Limit
        for c in central {
            var z64 = Data()
            if c.usize > limit || c.csize > limit {
                z64.zipLE(UInt64(c.usize))
                z64.zipLE(UInt64(c.csize))
            }
            if c.offset > limit { z64.zipLE(UInt64(c.offset)) }
            let big = c.usize > limit || c.csize > limit
            var extra = Data()
            if !z64.isEmpty {
                extra.zipLE(UInt16(1))
                extra.zipLE(UInt16(z64.count))
                extra.append(z64)
            }
            extra.append(c.extra)
            // With a ZIP64 field both versions become at least 4.5, as Python does.
            let madeBy = z64.isEmpty ? c.madeBy : (c.madeBy & 0xFF00) | max(c.madeBy & 0xFF, 45)
            d.zipLE(ZipArchive.centralSignature)
            d.zipLE(madeBy)
            d.zipLE(z64.isEmpty ? c.needed : max(c.needed, 45))
            d.zipLE(c.flags)
            d.zipLE(c.method)
            d.zipLE(c.time)
            d.zipLE(c.date)
            d.zipLE(c.crc)
            d.zipLE(big ? UInt32.max : UInt32(c.csize))
            d.zipLE(big ? UInt32.max : UInt32(c.usize))
            d.zipLE(UInt16(c.name.count))
            d.zipLE(UInt16(extra.count))
            d.zipLE(UInt16(c.comment.count))
            d.zipLE(UInt16(0))
            d.zipLE(c.iattr)
            d.zipLE(c.eattr)
            d.zipLE(c.offset > limit ? UInt32.max : UInt32(c.offset))
            d.append(c.name)
            d.append(extra)
            d.append(c.comment)
        }
        let start = recordBytes
        let size = d.count
        let count = central.count
        if count > 0xFFFF || start > limit || size > limit {
            let at = start + size
            d.zipLE(ZipArchive.zip64EOCDSignature)
            d.zipLE(UInt64(44))
            d.zipLE(UInt16(45))
            d.zipLE(UInt16(45))
            d.zipLE(UInt32(0))
            d.zipLE(UInt32(0))
            d.zipLE(UInt64(count))
            d.zipLE(UInt64(count))
            d.zipLE(UInt64(size))
            d.zipLE(UInt64(start))
            d.zipLE(ZipArchive.zip64LocatorSignature)
            d.zipLE(UInt32(0))
            d.zipLE(UInt64(at))
            d.zipLE(UInt32(1))
        }
        d.zipLE(ZipArchive.eocdSignature)
        d.zipLE(UInt16(0))
        d.zipLE(UInt16(0))
        d.zipLE(UInt16(min(count, 0xFFFF)))
        d.zipLE(UInt16(min(count, 0xFFFF)))
        d.zipLE(UInt32(min(size, 0xFFFF_FFFF)))
        d.zipLE(UInt32(min(start, 0xFFFF_FFFF)))
        d.zipLE(UInt16(0))
        return d
    }

    /// Raw deflate (windowBits −15, memLevel 8) of `data` at `level`, as Python's `zlib.compressobj` makes it.
    static func deflate(_ data: Data, level: Int32, member: String) throws -> Data {
        let z = try ZStream(deflateLevel: level)
        let s = z.stream
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        try data.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            var pos = 0
            var rc: Int32 = Z_OK
            repeat {
                if s.pointee.avail_in == 0 {
                    let n = min(src.count - pos, 1 << 30)
                    s.pointee.next_in = UnsafeMutablePointer(
                        mutating: src.baseAddress.map { ($0 + pos).assumingMemoryBound(to: Bytef.self) })
                    s.pointee.avail_in = uInt(n)
                    pos += n
                }
                let flush = pos == src.count ? Z_FINISH : Z_NO_FLUSH
                let room = chunk.count
                rc = chunk.withUnsafeMutableBufferPointer { buf in
                    s.pointee.next_out = buf.baseAddress
                    s.pointee.avail_out = uInt(room)
                    return CZlib.deflate(s, flush)
                }
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw ZipError.compressionFailed(member: member, code: rc)
                }
                out.append(contentsOf: chunk[0..<(room - Int(s.pointee.avail_out))])
            } while rc != Z_STREAM_END
        }
        return out
    }
}

extension Data {
    /// Appends `v` in little-endian byte order.
    mutating func zipLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}
