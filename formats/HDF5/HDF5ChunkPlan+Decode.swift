import FairAudit
import Foundation

extension HDF5ChunkPlan {
    /// The dataset's C-order bytes: every chunk inflated (and un-shuffled)
    /// and copied to its place, the chunks split in two contiguous halves
    /// decoded on two threads. Throws naming the first chunk that does not
    /// decode to exactly its size.
    func read(byteCount: Int, file: String, dataset: String) throws -> Data {
        guard byteCount == shape.reduce(elementSize, *), let dest = LargeBuffer.allocate(byteCount) else {
            throw HDF5Error.readFailed(file: file, object: dataset, reason: "cannot allocate \(byteCount) bytes")
        }
        let out = Destination(base: dest)
        let threads = chunks.count >= 4 && byteCount >= 1 << 20 ? min(2, ProcessInfo.processInfo.activeProcessorCount) : 1
        let failures = Failures(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let range = (chunks.count * t / threads)..<(chunks.count * (t + 1) / threads)
            failures.set(t, decode(range, into: out.base))
        }
        if let bad = failures.first() {
            LargeBuffer.free(dest, count: byteCount)
            let origin = chunks[bad].origin.map(String.init).joined(separator: ", ")
            throw HDF5Error.readFailed(file: file, object: dataset,
                                      reason: "the chunk at [\(origin)] does not decode to its \(chunkBytes) bytes (corrupt data)")
        }
        return LargeBuffer.data(dest, count: byteCount)
    }

    /// Decodes chunks `range` into `dest`; the index of the first that fails, or nil.
    private func decode(_ range: Range<Int>, into dest: UnsafeMutableRawPointer) -> Int? {
        let n = chunkBytes
        let inflater = deflateBit == nil ? nil : HDF5Inflater()
        if deflateBit != nil && inflater == nil { return range.first }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        let unshuffled = UnsafeMutableRawPointer.allocate(byteCount: shuffleBit == nil ? 1 : n, alignment: 64)
        defer { scratch.deallocate(); unshuffled.deallocate() }
        let rowElements = shape.dropFirst().reduce(1, *)
        let innerWhole = chunkShape.dropFirst().elementsEqual(shape.dropFirst())
        for i in range {
            let c = chunks[i]
            let src = map.bytes + (c.address - map.offset)
            let inflate = deflateBit.map { c.mask & (1 << UInt32($0)) == 0 } ?? false
            let unshuffle = elementSize > 1 && (shuffleBit.map { c.mask & (1 << UInt32($0)) == 0 } ?? false)
            // A chunk spanning whole rows, not past the end, is one block of the output.
            let block = innerWhole && c.origin[0] + chunkShape[0] <= shape[0]
            let target = dest + c.origin[0] * rowElements * elementSize
            var data = UnsafeRawPointer(src)
            if inflate {
                let into = block && !unshuffle ? target : scratch
                guard let inflater, inflater.inflate(src, count: c.size, into: into, capacity: n) else { return i }
                if block && !unshuffle { continue }
                data = UnsafeRawPointer(scratch)
            } else if c.size != n {
                return i
            }
            if unshuffle {
                Self.unshuffle(data, into: unshuffled, elements: n / elementSize, size: elementSize)
                data = UnsafeRawPointer(unshuffled)
            }
            if block { target.copyMemory(from: data, byteCount: n) } else { scatter(data, chunk: c, into: dest) }
        }
        return nil
    }

    /// Undoes HDF5's shuffle filter: byte b of element i was stored at `b·n + i`.
    static func unshuffle(_ src: UnsafeRawPointer, into dst: UnsafeMutableRawPointer, elements n: Int, size: Int) {
        let s = src.assumingMemoryBound(to: UInt8.self), d = dst.assumingMemoryBound(to: UInt8.self)
        for b in 0..<size {
            let plane = s + b * n
            for i in 0..<n { d[i * size + b] = plane[i] }
        }
    }

    /// Copies the part of a decoded chunk inside the dataset to its place,
    /// one run along the last axis at a time.
    private func scatter(_ data: UnsafeRawPointer, chunk c: Chunk, into dest: UnsafeMutableRawPointer) {
        let rank = shape.count
        let extent = (0..<rank).map { min(chunkShape[$0], shape[$0] - c.origin[$0]) }
        guard extent.allSatisfy({ $0 > 0 }) else { return }
        var chunkStride = [Int](repeating: 1, count: rank), destStride = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) {
            chunkStride[k] = chunkStride[k + 1] * chunkShape[k + 1]
            destStride[k] = destStride[k + 1] * shape[k + 1]
        }
        let run = extent[rank - 1] * elementSize
        var index = [Int](repeating: 0, count: rank)
        while true {
            var from = 0, to = 0
            for k in 0..<rank {
                from += index[k] * chunkStride[k]
                to += (c.origin[k] + index[k]) * destStride[k]
            }
            (dest + to * elementSize).copyMemory(from: data + from * elementSize, byteCount: run)
            var k = rank - 2
            while k >= 0 { index[k] += 1; if index[k] < extent[k] { break }; index[k] = 0; k -= 1 }
            if k < 0 { return }
        }
    }
}

/// The output buffer, shared by the decoding threads (each writes its own chunks).
private struct Destination: @unchecked Sendable { let base: UnsafeMutableRawPointer }

/// Each thread's first failing chunk.
private final class Failures: @unchecked Sendable {
    private var slots: [Int?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Int?) { lock.lock(); slots[i] = v; lock.unlock() }
    func first() -> Int? { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 }.min() }
}
