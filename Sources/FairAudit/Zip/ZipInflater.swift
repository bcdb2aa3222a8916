import CZlib
import Foundation

/// One raw-deflate stream over a member's compressed bytes in the mapping,
/// fed `feed` bytes at a time. With `releasing`, the pages of input already
/// consumed are given back (`MADV_DONTNEED`) before the next feed, so a
/// streaming read keeps a bounded part of a large member resident.
final class ZipInflater {
    private let z: ZStream
    private let bytes: MappedFile
    private let range: Range<Int>
    private let archive: String, member: String
    private let feed: Int, releasing: Bool
    private var inPos: Int
    private var fed: Range<Int>?

    init(_ bytes: MappedFile, range: Range<Int>, archive: String, member: String, feed: Int, releasing: Bool) throws {
        z = try ZStream(deflateLevel: nil)
        self.bytes = bytes
        self.range = range
        self.archive = archive
        self.member = member
        self.feed = feed
        self.releasing = releasing
        inPos = range.lowerBound
    }

    /// Inflates into `dst` (at most `room` bytes); returns zlib's code and the
    /// count written. Throws when the stream is invalid, ends early, or stalls.
    func step(_ dst: UnsafeMutableRawPointer, _ room: Int) throws -> (rc: Int32, produced: Int) {
        let s = z.stream
        if s.pointee.avail_in == 0, inPos < range.upperBound {
            if releasing, let fed { bytes.release(fed) }
            let n = min(range.upperBound - inPos, feed)
            bytes.withBytes(inPos..<(inPos + n)) { buf in
                s.pointee.next_in = UnsafeMutablePointer(mutating: buf.baseAddress?.assumingMemoryBound(to: Bytef.self))
            }
            s.pointee.avail_in = uInt(n)
            fed = inPos..<(inPos + n)
            inPos += n
        }
        let before = s.pointee.avail_in
        s.pointee.next_out = dst.assumingMemoryBound(to: Bytef.self)
        s.pointee.avail_out = uInt(room)
        let rc = CZlib.inflate(s, Z_NO_FLUSH)
        let produced = room - Int(s.pointee.avail_out)
        if rc == Z_STREAM_END { return (rc, produced) }
        guard rc == Z_OK || rc == Z_BUF_ERROR else {
            throw ZipError.corrupt(
                archive: archive, member: member, reason: "the deflate stream is invalid (zlib error \(rc))")
        }
        if produced == 0, s.pointee.avail_in == before {
            if inPos >= range.upperBound, s.pointee.avail_in == 0 {
                throw ZipError.truncated(archive: archive, member: member, what: "the deflate stream")
            }
            throw ZipError.corrupt(archive: archive, member: member, reason: "the deflate stream makes no progress")
        }
        return (rc, produced)
    }

    /// Gives back the pages of the last feed (call when done, with `releasing`).
    func finish() { if releasing, let fed { bytes.release(fed) } }
}
