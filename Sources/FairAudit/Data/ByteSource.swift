import CZlib
import Foundation

/// A forward-only source of bytes: a plain file, or a gzip file inflated on the fly.
protocol ByteSource: AnyObject {
    /// Fills `buffer` from the start; returns the bytes written, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The size of the decoded content when the container says (a hint only).
    var sizeHint: Int? { get }
}

/// Opens `url` as a plain or gzip byte source, chosen by the gzip magic bytes `1f 8b`.
func openByteSource(_ url: URL) throws -> ByteSource {
    let file = try FileByteSource(url)
    var magic = [UInt8](repeating: 0, count: 2)
    let n = try magic.withUnsafeMutableBytes { try file.read(into: $0) }
    try file.rewind()
    if n == 2 && magic == [0x1f, 0x8b] { return try GzipByteSource(file: file) }
    return file
}

/// A file read with `fread`; owns the `FILE*`.
final class FileByteSource: ByteSource {
    private let handle: UnsafeMutablePointer<FILE>
    let path: String
    let fileSize: Int

    init(_ url: URL) throws {
        path = url.path
        guard let h = fopen(url.path, "rb") else {
            throw FairAuditError.unreadableFile(path: url.path, reason: String(cString: strerror(errno)))
        }
        handle = h
        fseeko(h, 0, SEEK_END)
        fileSize = Int(ftello(h))
        fseeko(h, 0, SEEK_SET)
    }

    deinit { fclose(handle) }

    var sizeHint: Int? { fileSize }

    func rewind() throws { fseeko(handle, 0, SEEK_SET) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let n = fread(base, 1, buffer.count, handle)
        if n == 0 && ferror(handle) != 0 {
            throw FairAuditError.unreadableFile(path: path, reason: "read error")
        }
        return n
    }

    /// The last 4 bytes as a little-endian integer (gzip's ISIZE), then rewinds.
    func trailerUInt32() -> Int? {
        guard fileSize >= 18 else { return nil }
        var b = [UInt8](repeating: 0, count: 4)
        fseeko(handle, off_t(fileSize - 4), SEEK_SET)
        let n = fread(&b, 1, 4, handle)
        fseeko(handle, 0, SEEK_SET)
        guard n == 4 else { return nil }
        return Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
    }
}

/// A gzip file inflated through zlib; owns the `z_stream` at a stable address.
final class GzipByteSource: ByteSource {
    private let file: FileByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var finished = false
    let sizeHint: Int?

    init(file: FileByteSource) throws {
        self.file = file
        // ISIZE is the size modulo 2^32; use it only while plausible (ratio under 1000×).
        let isize = file.trailerUInt32()
        sizeHint = isize.flatMap { $0 >= file.fileSize && $0 < file.fileSize * 1000 ? $0 : nil }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 1 << 16, alignment: 16)
        let rc = fa_inflateInit2(stream, 15 + 32)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            input.deallocate()
            throw FairAuditError.unreadableFile(path: file.path, reason: "zlib could not start (code \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out > 0 && !finished {
            if stream.pointee.avail_in == 0 {
                let n = try file.read(into: input)
                if n == 0 {
                    throw FairAuditError.unreadableFile(path: file.path, reason: "the gzip stream is truncated")
                }
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(n)
            }
            let rc = inflate(stream, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                // Concatenated gzip members continue; otherwise the file ends here.
                if stream.pointee.avail_in == 0 {
                    let n = try file.read(into: input)
                    if n == 0 {
                        finished = true
                        break
                    }
                    stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = uInt(n)
                }
                inflateReset(stream)
            } else if rc != Z_OK && rc != Z_BUF_ERROR {
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                throw FairAuditError.unreadableFile(path: file.path, reason: "corrupt gzip data (\(msg))")
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }
}
