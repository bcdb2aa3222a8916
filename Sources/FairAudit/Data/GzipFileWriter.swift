import CZlib
import Foundation

/// Writes a `.gz` file (one gzip member, zlib's deflate with its gzip
/// header and CRC-32/size trailer: `windowBits` 15 + 16) from bytes given
/// piece by piece; owns the `z_stream` at a stable address and the `FILE*`.
public final class GzipFileWriter {
    private let stream: UnsafeMutablePointer<z_stream>
    private let file: UnsafeMutablePointer<FILE>
    private let path: String
    private var out = [UInt8](repeating: 0, count: 1 << 18)
    private var closed = false

    /// Creates `url` (replacing it), compressing at `level` (0–9; gzip's default is 6).
    public init(url: URL, level: Int32 = 6) throws {
        path = url.path
        guard let f = fopen(url.path, "wb") else {
            throw FairAuditError.unreadableFile(path: url.path, reason: String(cString: strerror(errno)))
        }
        file = f
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = fa_deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard rc == Z_OK else {
            stream.deallocate()
            fclose(f)
            throw FairAuditError.unreadableFile(path: url.path, reason: "zlib could not start (code \(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        fclose(file)
    }

    /// Compresses `bytes` and writes what deflate produces.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try run(bytes, flush: Z_NO_FLUSH)
    }

    /// Finishes the member (trailer included) and flushes the file.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
        guard fflush(file) == 0 else { throw FairAuditError.unreadableFile(path: path, reason: "write error") }
    }

    private func run(_ bytes: UnsafeRawBufferPointer, flush: Int32) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        let outCount = out.count
        try out.withUnsafeMutableBufferPointer { o in
            while true {
                stream.pointee.next_out = o.baseAddress
                stream.pointee.avail_out = uInt(outCount)
                let rc = deflate(stream, flush)
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw FairAuditError.unreadableFile(path: path, reason: "zlib deflate failed (code \(rc))")
                }
                let n = outCount - Int(stream.pointee.avail_out)
                if n > 0, fwrite(o.baseAddress, 1, n, file) != n {
                    throw FairAuditError.unreadableFile(path: path, reason: "write error")
                }
                if flush == Z_FINISH
                    ? rc == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0)
                {
                    break
                }
            }
        }
    }
}
