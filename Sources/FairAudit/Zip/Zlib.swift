import CZlib
import Foundation

/// CRC-32 (zlib's, polynomial 0xEDB88320) of `bytes`, continuing from `crc`.
public func zipCRC32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    var c = uLong(crc)
    var p = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
    var left = bytes.count
    while left > 0, let q = p {
        let n = min(left, 1 << 30)
        c = CZlib.crc32(c, q, uInt(n))
        p = q + n
        left -= n
    }
    return UInt32(truncatingIfNeeded: c)
}

/// CRC-32 of `data`.
public func zipCRC32(_ data: Data) -> UInt32 { data.withUnsafeBytes { zipCRC32($0) } }

/// A raw-deflate (windowBits −15) stream; owns its `z_stream` at a stable
/// address and ends it in `deinit`.
final class ZStream {
    let stream: UnsafeMutablePointer<z_stream>
    private let inflating: Bool
    private var live = false

    /// A stream for inflating (`level` nil) or deflating at `level`.
    init(deflateLevel level: Int32?) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        inflating = level == nil
        let rc: Int32
        if let level {
            rc = fa_deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
        } else {
            rc = fa_inflateInit2(stream, -15)
        }
        guard rc == Z_OK else { throw ZipError.compressionFailed(member: "", code: rc) }
        live = true
    }

    deinit {
        if live { if inflating { inflateEnd(stream) } else { deflateEnd(stream) } }
        stream.deallocate()
    }
}
