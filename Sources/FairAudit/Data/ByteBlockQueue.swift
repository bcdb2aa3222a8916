import Foundation

/// Reads a ``ByteSource`` on its own thread, a block at a time, a few blocks
/// ahead of the consumer: for a `.csv.gz` zlib inflates the next blocks while
/// the current one is parsed; for a plain file `fread` overlaps parsing.
/// Block buffers are recycled, so memory stays at `depth` blocks.
final class ByteBlockQueue: @unchecked Sendable {
    /// One filled block: `count` bytes at the start of `buffer`.
    struct Block {
        let buffer: UnsafeMutableRawBufferPointer
        let count: Int
    }

    private let source: ByteSource
    private let condition = NSCondition()
    private var ready: [Block] = []
    private var free: [UnsafeMutableRawBufferPointer]
    private var all: [UnsafeMutableRawBufferPointer]
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private var running = false

    /// The source's decoded size when known (a hint).
    let sizeHint: Int?

    /// Starts reading `source` in blocks of `blockBytes`, at most `depth` ahead.
    init(source: ByteSource, blockBytes: Int, depth: Int = 3) {
        self.source = source
        sizeHint = source.sizeHint
        all = (0..<max(depth, 1)).map { _ in .allocate(byteCount: max(blockBytes, 1), alignment: 64) }
        free = all
        running = true
        let thread = Thread { [self] in produce() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        for b in all { b.deallocate() }
    }

    private func produce() {
        while true {
            condition.lock()
            while free.isEmpty && !cancelled { condition.wait() }
            if cancelled { break }
            let buffer = free.removeLast()
            condition.unlock()
            var total = 0
            var atEnd = false
            var error: Error?
            do {
                while total < buffer.count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
                    if n == 0 {
                        atEnd = true
                        break
                    }
                    total += n
                }
            } catch let e { error = e }
            condition.lock()
            if let error {
                failure = error
                finished = true
                free.append(buffer)
            } else {
                if total > 0 { ready.append(Block(buffer: buffer, count: total)) } else { free.append(buffer) }
                if atEnd { finished = true }
            }
            condition.broadcast()
            if finished { break }
            condition.unlock()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// The next block in order; nil at the end; throws the source's error
    /// once every block before it has been taken.
    func next() throws -> Block? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        if !ready.isEmpty { return ready.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    /// Gives a block's buffer back for reuse.
    func recycle(_ block: Block) {
        condition.lock()
        free.append(block.buffer)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the reading thread and waits for it (before the buffers go).
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
