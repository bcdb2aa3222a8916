import Foundation

/// The bytes being parsed: the start of a record carried over from the
/// previous block, then the next block, then a NUL (so a number at the very
/// end of the input can be read one byte past its last digit).
final class CSVWorkBuffer {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes held.
    private(set) var length = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1) + 1
        bytes = .allocate(capacity: self.capacity)
        bytes[0] = 0
    }

    deinit { bytes.deallocate() }

    /// Appends the next block of `queue`; false at the end of the input.
    func pull(from queue: ByteBlockQueue) throws -> Bool {
        guard let block = try queue.next() else { return false }
        defer { queue.recycle(block) }
        if length + block.count + 1 > capacity {
            capacity = length + block.count + 1
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            bigger.update(from: bytes, count: length)
            bytes.deallocate()
            bytes = bigger
        }
        if let src = block.buffer.baseAddress {
            memcpy(bytes + length, src, block.count)
        }
        length += block.count
        bytes[length] = 0
        return true
    }

    /// Removes the first `count` bytes (the records already parsed).
    func drop(_ count: Int) {
        guard count > 0 else { return }
        memmove(bytes, bytes + count, length - count)
        length -= count
        bytes[length] = 0
    }

    /// The offset just after the last `\n`, nil when there is none.
    func endOfLastLine() -> Int? {
        var i = length
        while i > 0 {
            if bytes[i - 1] == 0x0A { return i }
            i -= 1
        }
        return nil
    }

    /// The offset just after the first `\n` in `from..<to`, nil when there is none.
    func endOfLine(from: Int, to: Int) -> Int? {
        guard from < to, let nl = memchr(bytes + from, 0x0A, to - from) else { return nil }
        return nl - UnsafeMutableRawPointer(bytes) + 1
    }
}
