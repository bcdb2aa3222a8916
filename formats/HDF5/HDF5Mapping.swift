import CZlib
import Foundation

/// A read-only, private memory mapping of part of a file (`mmap`), unmapped
/// in `deinit`. The fast read paths hand out zero-copy slices of it.
final class HDF5Mapping: @unchecked Sendable {
    /// The first mapped byte (page-aligned, at or before `offset`).
    private let base: UnsafeMutableRawPointer
    private let length: Int
    /// The file offset `bytes` starts at.
    let offset: Int
    /// The file's bytes from `offset`, `count` of them.
    let bytes: UnsafeRawPointer
    /// Bytes mapped from `offset`.
    let count: Int

    /// Maps `count` bytes of the open file `fd` from `offset` (both checked
    /// against the file's current size), prefaulting the pages when
    /// `populate`. Nil when the range is outside the file or mapping fails.
    init?(fd: Int32, offset: Int, count: Int, populate: Bool) {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, offset >= 0, count > 0,
              offset <= Int(st.st_size) - count else { return nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        let length = offset - start + count
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, off_t(start))
        guard let p, p != MAP_FAILED else { return nil }
        base = p
        self.length = length
        self.offset = offset
        self.count = count
        bytes = UnsafeRawPointer(p + (offset - start))
    }

    deinit { munmap(base, length) }

    /// The mapped bytes as a `Data` that keeps the mapping alive.
    func data() -> Data {
        Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes), count: count,
             deallocator: .custom { _, _ in withExtendedLifetime(self) {} })
    }
}

/// One zlib-format inflate stream (HDF5's deflate filter writes zlib
/// streams), owned here at a stable address and ended in `deinit`.
final class HDF5Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var live = false

    /// A stream ready for `inflate(_:count:into:capacity:)`; nil when zlib refuses.
    init?() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard fa_inflateInit2(stream, 15) == Z_OK else { stream.deallocate(); return nil }
        live = true
    }

    deinit {
        if live { inflateEnd(stream) }
        stream.deallocate()
    }

    /// Inflates one whole zlib stream of `count` bytes into `out`; true only
    /// when the stream ends having produced exactly `capacity` bytes.
    func inflate(_ input: UnsafeRawPointer, count: Int, into out: UnsafeMutableRawPointer, capacity: Int) -> Bool {
        guard count <= Int(UInt32.max), capacity <= Int(UInt32.max), inflateReset(stream) == Z_OK else { return false }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(count)
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(capacity)
        let rc = CZlib.inflate(stream, Z_FINISH)
        return rc == Z_STREAM_END && stream.pointee.avail_out == 0
    }
}
