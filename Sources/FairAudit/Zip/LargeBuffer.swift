import Foundation

/// Output buffers for large reads (inflated zip members, HDF5 chunks):
/// anonymous memory advised to use transparent huge pages, as numpy does for
/// large arrays, so filling a gigabyte takes a few hundred page faults
/// instead of 262,144. Small sizes use `malloc`.
public enum LargeBuffer {
    /// Sizes from which huge pages are asked for.
    public static let hugeThreshold = 4 << 20

    /// `count` writable bytes (at least one), or nil when memory is short.
    public static func allocate(_ count: Int) -> UnsafeMutableRawPointer? {
        guard count >= hugeThreshold else { return malloc(max(count, 1)) }
        let p = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        #if os(Linux)
            _ = madvise(p, count, MADV_HUGEPAGE)
        #endif
        return p
    }

    /// Frees what `allocate(count)` returned.
    public static func free(_ p: UnsafeMutableRawPointer, count: Int) {
        if count >= hugeThreshold { munmap(p, count) } else { Foundation.free(p) }
    }

    /// A `Data` over bytes `offset ..< count` of `p` (from `allocate(count)`)
    /// that frees the whole buffer when released.
    public static func data(_ p: UnsafeMutableRawPointer, count: Int, from offset: Int = 0) -> Data {
        Data(
            bytesNoCopy: p + offset, count: count - offset,
            deallocator: .custom { _, _ in LargeBuffer.free(p, count: count) })
    }
}
