import CZlib
import Foundation

extension ZipArchive {
    /// Bytes copied or inflated per step of `extract`; the most of the
    /// member held in memory at once (plus as much compressed input).
    static let extractChunk = 8 << 20

    /// Writes the member's bytes to a new file at `url` (created with mode
    /// 0600; an existing file is not replaced) in bounded memory, with the
    /// checks of `data(for:)`: CRC-32, exactly the declared size (so the
    /// ratio limit on deflated members holds), the same `ZipError`s naming
    /// archive and member. Stored members are copied from the mapping
    /// `extractChunk` bytes at a time, deflated ones inflated into a fixed
    /// buffer; pages of the mapping already copied are given back as it
    /// goes. On any error the partial file is removed.
    public func extract(_ entry: ZipEntry, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ZipError.extractFailed(
                archive: name, member: entry.name, path: url.path, reason: String(cString: strerror(errno)))
        }
        do {
            try extract(entry, toDescriptor: fd, path: url.path)
        } catch {
            close(fd)
            unlink(url.path)
            throw error
        }
        // Closed exactly once: after a failed close the descriptor is gone,
        // and closing it again could close another thread's new one.
        guard close(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(url.path)
            throw ZipError.extractFailed(archive: name, member: entry.name, path: url.path, reason: reason)
        }
    }

    /// Writes the member to the open descriptor `fd` (`path` names it in errors).
    private func extract(_ entry: ZipEntry, toDescriptor fd: Int32, path: String) throws {
        let compressed = try dataRange(entry)
        let sink = { (chunk: UnsafeRawBufferPointer) throws in
            if let problem = ZipArchive.writeAll(fd, chunk) {
                throw ZipError.extractFailed(archive: self.name, member: entry.name, path: path, reason: problem)
            }
        }
        var crc: UInt32 = 0
        if entry.method == 0 {
            var pos = compressed.lowerBound
            while pos < compressed.upperBound {
                let r = pos..<min(compressed.upperBound, pos + ZipArchive.extractChunk)
                try bytes.withBytes(r) {
                    crc = zipCRC32($0, continuing: crc)
                    try sink($0)
                }
                // Back one page too: the page straddling the previous step's end.
                bytes.release(max(compressed.lowerBound, r.lowerBound - 4096)..<r.upperBound)
                pos = r.upperBound
            }
        } else {
            crc = try inflate(entry, compressed, sink: sink)
        }
        guard crc == entry.crc32 else {
            throw ZipError.crcMismatch(archive: name, member: entry.name, expected: entry.crc32, found: crc)
        }
    }

    /// Inflates the member through a fixed buffer into `sink`; returns the
    /// CRC-32 of the output after checking it is exactly the declared size.
    private func inflate(
        _ entry: ZipEntry, _ range: Range<Int>, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> UInt32 {
        let size = ZipArchive.extractChunk
        let inflater = try ZipInflater(
            bytes, range: range, archive: name, member: entry.name, feed: size, releasing: true)
        defer { inflater.finish() }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        var crc: UInt32 = 0
        while true {
            let r = try inflater.step(buffer, size)
            guard r.produced <= entry.uncompressedSize - total else {
                throw ZipError.sizeMismatch(
                    archive: name, member: entry.name, expected: entry.uncompressedSize, found: -1)
            }
            let out = UnsafeRawBufferPointer(start: buffer, count: r.produced)
            crc = zipCRC32(out, continuing: crc)
            try sink(out)
            total += r.produced
            if r.rc == Z_STREAM_END { break }
        }
        guard total == entry.uncompressedSize else {
            throw ZipError.sizeMismatch(
                archive: name, member: entry.name, expected: entry.uncompressedSize, found: total)
        }
        return crc
    }

    /// Writes all of `chunk` to `fd`; the problem, or nil.
    private static func writeAll(_ fd: Int32, _ chunk: UnsafeRawBufferPointer) -> String? {
        guard var p = chunk.baseAddress else { return nil }
        var left = chunk.count
        while left > 0 {
            let n = write(fd, p, left)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n < 0 ? String(cString: strerror(errno)) : "the disk accepted no more bytes" }
            p += n
            left -= n
        }
        return nil
    }
}
