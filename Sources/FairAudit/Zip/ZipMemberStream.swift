import CZlib
import Foundation

/// A member's bytes read front to back in pieces of the caller's size, in
/// bounded memory: a stored member copied from the mapping, a deflated one
/// inflated as far as asked; the pages of the mapping already read are given
/// back as it goes. ``finish()`` checks, once every byte is read, the
/// CRC-32 and the declared size (as ``ZipArchive/data(for:)`` does).
public final class ZipMemberStream {
    private let archive: ZipArchive
    private let entry: ZipEntry
    private let range: Range<Int>
    private let inflater: ZipInflater?
    private var position = 0
    private var crc: UInt32 = 0
    private var ended = false
    private var released: Int

    /// Opens `entry` of `archive` and skips its first `prefix` bytes (a header).
    public init(_ archive: ZipArchive, _ entry: ZipEntry, skipping prefix: Int) throws {
        self.archive = archive
        self.entry = entry
        range = try archive.dataRange(entry)
        released = range.lowerBound
        inflater =
            entry.method == 0
            ? nil
            : try ZipInflater(
                archive.bytes, range: range, archive: archive.name, member: entry.name, feed: 1 << 20,
                releasing: true)
        if prefix > 0 {
            let skip = UnsafeMutableRawPointer.allocate(byteCount: prefix, alignment: 16)
            defer { skip.deallocate() }
            try read(into: skip, count: prefix)
        }
    }

    deinit { inflater?.finish() }

    /// Bytes of the member not read yet.
    public var remaining: Int { entry.uncompressedSize - position }

    /// Reads the next `count` bytes into `dst`; throws when the member is shorter.
    public func read(into dst: UnsafeMutableRawPointer, count: Int) throws {
        guard count <= remaining else {
            throw ZipError.truncated(archive: archive.name, member: entry.name, what: "a read of \(count) bytes")
        }
        guard count > 0 else { return }
        if let inflater {
            var filled = 0
            while filled < count {
                guard !ended else {
                    throw ZipError.sizeMismatch(
                        archive: archive.name, member: entry.name, expected: entry.uncompressedSize,
                        found: position + filled)
                }
                let r = try inflater.step(dst + filled, count - filled)
                filled += r.produced
                if r.rc == Z_STREAM_END { ended = true }
            }
        } else {
            let from = range.lowerBound + position
            guard from + count <= range.upperBound else {
                throw ZipError.truncated(archive: archive.name, member: entry.name, what: "the member data")
            }
            archive.bytes.withBytes(from..<(from + count)) { src in
                if let p = src.baseAddress { dst.copyMemory(from: p, byteCount: count) }
            }
            // Back the pages read, keeping the one straddling the next read's start.
            let upTo = (from + count) & ~4095
            if upTo > released + (4 << 20) {
                archive.bytes.release(released..<upTo)
                released = upTo
            }
        }
        crc = zipCRC32(UnsafeRawBufferPointer(start: dst, count: count), continuing: crc)
        position += count
    }

    /// Checks, after the last byte was read, that the stream ends there and
    /// the CRC-32 matches the member's.
    public func finish() throws {
        guard remaining == 0 else {
            throw ZipError.truncated(
                archive: archive.name, member: entry.name, what: "the member (\(remaining) bytes unread)")
        }
        if let inflater, !ended {
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
            defer { scratch.deallocate() }
            while !ended {
                let r = try inflater.step(scratch, 1)
                if r.produced > 0 {
                    throw ZipError.sizeMismatch(
                        archive: archive.name, member: entry.name, expected: entry.uncompressedSize, found: -1)
                }
                ended = r.rc == Z_STREAM_END
            }
        }
        guard crc == entry.crc32 else {
            throw ZipError.crcMismatch(archive: archive.name, member: entry.name, expected: entry.crc32, found: crc)
        }
    }
}
