import Foundation

extension ZipArchive {
    /// Hands the member's bytes after its first `prefix` to `body` in pieces
    /// of at most `chunkBytes`, so a member larger than memory can be
    /// converted as it is read. A stored member is read straight from the
    /// mapping and each piece's pages are given back once `body` returns
    /// (memory stays at one piece, not the member); a deflated one is
    /// inflated whole first. The CRC-32 is checked over the whole member:
    /// when it does not match, the error comes after the last piece, so
    /// `body`'s results are to be kept only when this returns.
    public func forEachChunk(
        of entry: ZipEntry, skipping prefix: Int, chunkBytes: Int,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard entry.method == 0 else {
            let data = try data(for: entry, skipping: prefix)
            try data.withUnsafeBytes { raw in
                var start = 0
                while start < raw.count {
                    let end = min(raw.count, start + max(chunkBytes, 1))
                    try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    start = end
                }
            }
            return
        }
        let range = try dataRange(entry)
        guard prefix >= 0, prefix <= range.count else {
            throw ZipError.truncated(archive: name, member: entry.name, what: "a read of \(prefix) bytes")
        }
        var crc = bytes.withBytes(range.lowerBound..<(range.lowerBound + prefix)) { zipCRC32($0) }
        var start = range.lowerBound + prefix
        while start < range.upperBound {
            let end = min(range.upperBound, start + max(chunkBytes, 1))
            try bytes.withBytes(start..<end) { raw in
                crc = zipCRC32(raw, continuing: crc)
                try body(raw)
            }
            bytes.release(start..<end)
            start = end
        }
        guard crc == entry.crc32 else {
            throw ZipError.crcMismatch(archive: name, member: entry.name, expected: entry.crc32, found: crc)
        }
    }
}
