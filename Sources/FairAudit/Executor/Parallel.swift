import Foundation

/// `rows` split into `parts` contiguous ranges of near-equal size (a fixed
/// split, so results do not depend on scheduling).
func parallelRanges(rows: Int, parts: Int) -> [Range<Int>] {
    let p = max(1, parts)
    return (0..<p).map { i in (rows * i / p)..<(rows * (i + 1) / p) }
}

/// Runs `body(0..<count)` concurrently and returns the results in index order.
func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let box = ResultBox<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { i in box.set(i, body(i)) }
    return box.values()
}

/// Thread-safe slots for ``parallelMap(_:_:)``.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) {
        lock.lock()
        slots[i] = v
        lock.unlock()
    }
    func values() -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return slots.compactMap { $0 }
    }
}
