import CZlib
import FairAudit
import Foundation

/// An open read-only descriptor, closed in `deinit`.
final class HDF5Descriptor: Sendable {
    /// The descriptor.
    let fd: Int32

    /// Opens `path` read-only; nil when it cannot be opened.
    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
    }

    deinit { close(fd) }
}

/// Reads byte ranges of a file with `pread` (safe from many threads).
final class HDF5RawReader: @unchecked Sendable {
    private let file: HDF5Descriptor

    init(_ backing: HDF5File.Backing) throws {
        switch backing {
        case .path(let path):
            guard let d = HDF5Descriptor(path: path) else { throw CocoaError(.fileReadNoPermission) }
            file = d
        case .descriptor(let d):
            file = d
        }
    }

    /// Fills `count` bytes at `dst` from `offset`; false on a short read.
    func read(at offset: Int, count: Int, into dst: UnsafeMutableRawPointer) -> Bool {
        guard offset >= 0, count >= 0 else { return false }
        var done = 0
        while done < count {
            let n = pread(file.fd, dst + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}

/// A raw pointer shared by the chunk workers, each writing its own region.
private struct SharedBuffer: @unchecked Sendable { let base: UnsafeMutableRawPointer }

/// The first problem any chunk worker met.
private final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    func record(_ s: String) {
        lock.lock()
        if text == nil { text = s }
        lock.unlock()
    }
    var value: String? {
        lock.lock()
        defer { lock.unlock() }
        return text
    }
}

extension HDF5File {
    /// Executes `plan` into a new buffer of `byteCount` bytes: one read for
    /// a contiguous dataset; for chunks, reads, inflates and unshuffles each
    /// on its own core, copying the part inside the dataset into place.
    func readDirect(_ plan: HDF5DirectPlan, byteCount: Int, path: String) throws -> Data {
        let fail = { (r: String) in HDF5Error.readFailed(file: self.displayName, object: path, reason: r) }
        let reader = try HDF5RawReader(backing)
        guard let out = LargeBuffer.allocate(byteCount) else { throw fail("out of memory for \(byteCount) bytes") }
        let buffer = SharedBuffer(base: out)
        guard let cshape = plan.chunkShape else {
            guard reader.read(at: plan.pieces[0].address, count: byteCount, into: out) else {
                LargeBuffer.free(out, count: byteCount)
                throw fail("the file ends inside the dataset's values")
            }
            return LargeBuffer.data(out, count: byteCount)
        }
        let failure = FirstFailure()
        DispatchQueue.concurrentPerform(iterations: plan.pieces.count) { i in
            if let problem = Self.decodeChunk(
                plan.pieces[i], plan: plan, chunkShape: cshape, reader: reader, into: buffer.base)
            {
                failure.record(problem)
            }
        }
        if let firstFailure = failure.value {
            LargeBuffer.free(out, count: byteCount)
            throw fail(firstFailure)
        }
        return LargeBuffer.data(out, count: byteCount)
    }

    /// Reads, decodes and places one chunk; returns what went wrong, or nil.
    private static func decodeChunk(
        _ piece: HDF5DirectPlan.Piece, plan: HDF5DirectPlan, chunkShape: [Int],
        reader: HDF5RawReader, into out: UnsafeMutableRawPointer
    ) -> String? {
        let e = plan.elementSize
        let chunkBytes = chunkShape.reduce(e, *)
        let stored = UnsafeMutableRawPointer.allocate(byteCount: max(piece.size, chunkBytes), alignment: 16)
        defer { stored.deallocate() }
        guard reader.read(at: piece.address, count: piece.size, into: stored) else {
            return "a chunk lies past the end of the file"
        }
        var data = UnsafeRawPointer(stored)
        var length = piece.size
        let inflated = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { inflated.deallocate() }
        if let di = plan.deflateIndex, piece.mask & (1 << UInt32(di)) == 0 {
            var outLen = uLongf(chunkBytes)
            let rc = uncompress(
                inflated.assumingMemoryBound(to: Bytef.self), &outLen,
                data.assumingMemoryBound(to: Bytef.self), uLong(length))
            guard rc == Z_OK, Int(outLen) == chunkBytes else {
                return "a chunk does not inflate to its size (zlib \(rc))"
            }
            data = UnsafeRawPointer(inflated)
            length = chunkBytes
        }
        guard length == chunkBytes else { return "a chunk holds \(length) bytes, not \(chunkBytes)" }
        if let si = plan.shuffleIndex, piece.mask & (1 << UInt32(si)) == 0, e > 1 {
            // Shuffle stored byte j of element i at j*n + i; put it back at i*e + j.
            let n = chunkBytes / e
            // Into whichever buffer does not hold the input.
            let target = data == UnsafeRawPointer(stored) ? inflated : stored
            unshuffle(
                data.assumingMemoryBound(to: UInt8.self), into: target.assumingMemoryBound(to: UInt8.self),
                count: n, elementSize: e)
            data = UnsafeRawPointer(target)
        }
        place(data, origin: piece.origin, chunkShape: chunkShape, shape: plan.shape, elementSize: e, into: out)
        return nil
    }

    /// Undoes HDF5's shuffle filter: byte j of element i is at `j*n + i`.
    /// Writes run sequentially, element by element (4-byte elements, the
    /// common case, assembled in a register).
    private static func unshuffle(
        _ src: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>, count n: Int, elementSize e: Int
    ) {
        if e == 4 {
            let p0 = src
            let p1 = src + n
            let p2 = src + 2 * n
            let p3 = src + 3 * n
            let out = UnsafeMutableRawPointer(dst)
            for i in 0..<n {
                let v = UInt32(p0[i]) | UInt32(p1[i]) << 8 | UInt32(p2[i]) << 16 | UInt32(p3[i]) << 24
                out.storeBytes(of: v.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
            return
        }
        for i in 0..<n {
            for j in 0..<e { dst[i * e + j] = src[j * n + i] }
        }
    }

    /// Copies the part of a C-order chunk at `origin` that lies inside the
    /// dataset into the C-order dataset buffer, one innermost run at a time.
    private static func place(
        _ chunk: UnsafeRawPointer, origin: [Int], chunkShape: [Int], shape: [Int],
        elementSize e: Int, into out: UnsafeMutableRawPointer
    ) {
        let rank = shape.count
        let extent = (0..<rank).map { min(chunkShape[$0], shape[$0] - origin[$0]) }
        var cstride = [Int](repeating: 1, count: rank)
        var dstride = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) {
            cstride[k] = cstride[k + 1] * chunkShape[k + 1]
            dstride[k] = dstride[k + 1] * shape[k + 1]
        }
        let run = extent[rank - 1] * e
        var idx = [Int](repeating: 0, count: rank)
        while true {
            var src = 0
            var dst = origin[rank - 1] * dstride[rank - 1]
            for k in 0..<(rank - 1) {
                src += idx[k] * cstride[k]
                dst += (origin[k] + idx[k]) * dstride[k]
            }
            (out + dst * e).copyMemory(from: chunk + src * e, byteCount: run)
            var k = rank - 2
            while k >= 0 {
                idx[k] += 1
                if idx[k] < extent[k] { break }
                idx[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }
}
