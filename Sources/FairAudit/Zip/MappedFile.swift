import Foundation

/// A read-only byte region with a stable address: a file mapped into memory
/// (`mmap`, unmapped in `deinit`) or an owned copy of some bytes. Slices are
/// zero-copy `Data` values that keep the region alive.
public final class MappedFile: @unchecked Sendable {
    /// The first byte (nil when the region is empty).
    let base: UnsafeRawPointer?
    /// The region's length in bytes.
    public let count: Int
    private let mapped: Bool

    /// Maps the file at `url` read-only.
    public init(url: URL) throws {
        let path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ZipError.unreadable(archive: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw ZipError.unreadable(archive: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ZipError.unreadable(archive: path, reason: "not a regular file")
        }
        count = Int(st.st_size)
        mapped = count > 0
        if count == 0 {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw ZipError.unreadable(archive: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    /// Holds a private copy of `data`.
    public init(copying data: Data) {
        count = data.count
        mapped = false
        if data.isEmpty {
            base = nil
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 16)
        data.copyBytes(to: UnsafeMutableRawBufferPointer(start: p, count: data.count))
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { base.deallocate() }
    }

    /// The bytes in `range` as a zero-based `Data` that shares this region
    /// (mutating it copies; the region stays alive while the slice lives).
    /// The caller checks `range` lies within `0..<count`.
    public func slice(_ range: Range<Int>) -> Data {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice out of bounds")
        guard let base, !range.isEmpty else { return Data() }
        let p = UnsafeMutableRawPointer(mutating: base + range.lowerBound)
        let mapped = self.mapped
        return Data(
            bytesNoCopy: p, count: range.count,
            deallocator: .custom { start, n in
                if mapped && n >= MappedFile.releaseThreshold { MappedFile.dropPages(start, n) }
                withExtendedLifetime(self) {}
            })
    }

    /// Slices of a file mapping at least this large give their resident
    /// pages back when the last copy of the slice goes away.
    static let releaseThreshold = 1 << 20

    /// Drops the resident pages wholly inside `start..<start+count` of a
    /// read-only private file mapping (`MADV_DONTNEED`): the bytes stay
    /// valid and are read from the file again if touched, so reading many
    /// large tensors one after another keeps one in memory, not all.
    static func dropPages(_ start: UnsafeMutableRawPointer, _ count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let lo = (Int(bitPattern: start) + page - 1) / page * page
        let hi = (Int(bitPattern: start) + count) / page * page
        guard hi > lo, let p = UnsafeMutableRawPointer(bitPattern: lo) else { return }
        _ = madvise(p, hi - lo, MADV_DONTNEED)
    }

    /// Gives back the resident pages wholly inside `range` when the region is
    /// a file mapping (a no-op for an owned copy); the bytes stay readable.
    func release(_ range: Range<Int>) {
        guard mapped, let base, range.lowerBound >= 0, range.upperBound <= count, !range.isEmpty else { return }
        MappedFile.dropPages(UnsafeMutableRawPointer(mutating: base + range.lowerBound), range.count)
    }

    /// Runs `body` over the bytes in `range` (checked by the caller).
    public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range out of bounds")
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Reads a little-endian integer at `offset`, or nil when it would run past the end.
    func le<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard let base, offset >= 0, offset <= count - size else { return nil }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
