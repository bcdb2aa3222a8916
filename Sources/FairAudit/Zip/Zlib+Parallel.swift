import CZlib
import Foundation

/// CRC-32 of `bytes` computed in two halves on two threads and joined with
/// zlib's `crc32_combine` (equal to `zipCRC32(bytes)`); one thread under 8 MB.
/// Used for stored zip members, whose reading is nothing but this checksum.
public func zipCRC32Parallel(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    let n = bytes.count
    guard n >= 8 << 20, ProcessInfo.processInfo.activeProcessorCount > 1, let base = bytes.baseAddress else {
        return zipCRC32(bytes)
    }
    let half = n / 2
    let parts = CRCParts()
    let region = SendableRegion(base: base)
    DispatchQueue.concurrentPerform(iterations: 2) { i in
        let start = i == 0 ? 0 : half
        let end = i == 0 ? half : n
        parts.set(i, zipCRC32(UnsafeRawBufferPointer(start: region.base + start, count: end - start)))
    }
    let (a, b) = parts.pair()
    return UInt32(truncatingIfNeeded: crc32_combine(uLong(a), uLong(b), off_t(n - half)))
}

/// A read-only region shared by the two checksum threads.
private struct SendableRegion: @unchecked Sendable { let base: UnsafeRawPointer }

/// The two halves' checksums.
private final class CRCParts: @unchecked Sendable {
    private var values: [UInt32] = [0, 0]
    private let lock = NSLock()
    func set(_ i: Int, _ v: UInt32) {
        lock.lock()
        values[i] = v
        lock.unlock()
    }
    func pair() -> (UInt32, UInt32) {
        lock.lock()
        defer { lock.unlock() }
        return (values[0], values[1])
    }
}
