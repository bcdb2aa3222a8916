import CZlib
import Foundation

extension ZipArchive {
    /// The member's bytes, inflated if deflated, after checking the CRC-32 and
    /// that inflating gives exactly the declared size (never more is written).
    /// A stored member is a zero-copy slice of the mapped file.
    public func data(for entry: ZipEntry) throws -> Data { try data(for: entry, skipping: 0) }

    /// The member's bytes after its first `prefix` bytes, checked as in
    /// `data(for:)`; the result is zero-based and, for stored members, zero-copy.
    public func data(for entry: ZipEntry, skipping prefix: Int) throws -> Data {
        let compressed = try dataRange(entry)
        guard prefix >= 0, prefix <= entry.uncompressedSize else {
            throw ZipError.truncated(archive: name, member: entry.name, what: "a read of \(prefix) bytes")
        }
        if entry.method == 0 {
            let crc = bytes.withBytes(compressed) { zipCRC32Parallel($0) }
            guard crc == entry.crc32 else {
                throw ZipError.crcMismatch(archive: name, member: entry.name, expected: entry.crc32, found: crc)
            }
            return bytes.slice((compressed.lowerBound + prefix)..<compressed.upperBound)
        }
        let n = entry.uncompressedSize
        guard let buffer = LargeBuffer.allocate(n) else {
            throw ZipError.outOfMemory(archive: name, member: entry.name, bytes: n)
        }
        do {
            // The CRC runs on each megabyte just inflated, while it is still in cache.
            var crc: UInt32 = 0
            _ = try inflate(entry, compressed, into: buffer, capacity: n, whole: true) {
                crc = zipCRC32($0, continuing: crc)
            }
            guard crc == entry.crc32 else {
                throw ZipError.crcMismatch(archive: name, member: entry.name, expected: entry.crc32, found: crc)
            }
        } catch {
            LargeBuffer.free(buffer, count: n)
            throw error
        }
        return LargeBuffer.data(buffer, count: n, from: prefix)
    }

    /// The first `count` bytes of the member (fewer if it is shorter),
    /// inflating only as far as needed; not CRC-checked (the whole member is not read).
    public func prefix(of entry: ZipEntry, count: Int) throws -> Data {
        let compressed = try dataRange(entry)
        let n = max(0, min(count, entry.uncompressedSize))
        if entry.method == 0 { return bytes.slice(compressed.lowerBound..<(compressed.lowerBound + n)) }
        var out = Data(count: n)
        let produced = try out.withUnsafeMutableBytes { raw -> Int in
            guard let p = raw.baseAddress else { return 0 }
            return try inflate(entry, compressed, into: p, capacity: n, whole: false)
        }
        return out.prefix(produced)
    }

    /// The compressed bytes' range, checked against the file.
    func dataRange(_ entry: ZipEntry) throws -> Range<Int> {
        guard entry.dataOffset >= 0, entry.compressedSize >= 0, entry.dataOffset <= bytes.count - entry.compressedSize
        else {
            throw ZipError.truncated(archive: name, member: entry.name, what: "the member data")
        }
        return entry.dataOffset..<(entry.dataOffset + entry.compressedSize)
    }

    /// Inflates `range` into `out` (at most `capacity` bytes) and returns the
    /// count written. With `whole`, the stream must end exactly at `capacity`.
    /// `produced`, when given, sees the output a megabyte at a time as it is written.
    func inflate(
        _ entry: ZipEntry, _ range: Range<Int>, into out: UnsafeMutableRawPointer, capacity: Int,
        whole: Bool, produced: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws -> Int {
        let inflater = try ZipInflater(
            bytes, range: range, archive: name, member: entry.name, feed: 1 << 30, releasing: false)
        var outPos = 0
        var ended = false
        let stride = produced == nil ? 1 << 30 : 1 << 20
        while outPos < capacity {
            let r = try inflater.step(out + outPos, min(capacity - outPos, stride))
            produced?(UnsafeRawBufferPointer(start: out + outPos, count: r.produced))
            outPos += r.produced
            if r.rc == Z_STREAM_END {
                ended = true
                break
            }
        }
        guard whole else { return outPos }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { scratch.deallocate() }
        while !ended {
            // Output is full: the stream may only finish now, never produce more.
            let r = try inflater.step(scratch, 1)
            if r.produced > 0 {
                throw ZipError.sizeMismatch(archive: name, member: entry.name, expected: capacity, found: -1)
            }
            ended = r.rc == Z_STREAM_END
        }
        guard outPos == capacity else {
            throw ZipError.sizeMismatch(archive: name, member: entry.name, expected: capacity, found: outPos)
        }
        return outPos
    }
}
