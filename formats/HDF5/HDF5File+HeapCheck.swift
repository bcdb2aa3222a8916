import Foundation

extension HDF5File {
    /// Checks every global heap collection (`GCOL`, where variable-length
    /// strings live) before libhdf5 reads one: each object must fit inside
    /// its collection and the collection inside the file, and no free-space
    /// object may have size 0. libhdf5 1.10 trusts these sizes: it copies
    /// past its buffer on a corrupt one, and loops forever loading a
    /// collection whose free space has size 0 (even to open a dataset). So a
    /// damaged heap is refused here instead. Assumes 8-byte lengths, as h5py
    /// and Keras files have; runs once per file, before the first object is
    /// opened, reading the file in 4 MB blocks (resident memory stays small).
    func checkGlobalHeaps() throws {
        heapCheck.lock.lock()
        defer { heapCheck.lock.unlock() }
        if let result = heapCheck.result {
            if let e = result { throw e }
            return
        }
        heapCheck.scans += 1
        let problem = Self.findHeapProblem(in: backing, fileSize: fileSize)
        let error = problem.map {
            HDF5Error.readFailed(file: displayName, object: "global heap at byte \($0.0)", reason: $0.1)
        }
        heapCheck.result = .some(error)
        if let error { throw error }
    }

    /// Records that the heaps were found sound by a probe process that ran
    /// `checkGlobalHeaps` on this same file and parsed it to the end, so this
    /// process does not read the whole file a second time.
    func heapsCheckedElsewhere() {
        heapCheck.lock.lock()
        defer { heapCheck.lock.unlock() }
        if heapCheck.result == nil { heapCheck.result = .some(nil) }
    }

    /// The offset and description of the first inconsistent collection, or nil.
    private static func findHeapProblem(in backing: Backing, fileSize: Int) -> (Int, String)? {
        guard let reader = try? HDF5RawReader(backing) else { return (0, "cannot read the file") }
        func bytes(_ offset: Int, _ count: Int) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: count)
            let ok = out.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { reader.read(at: offset, count: count, into: $0) } ?? false
            }
            return ok ? out : nil
        }
        func le(_ b: [UInt8], _ at: Int, _ n: Int) -> Int {
            var v = 0
            for i in stride(from: n - 1, through: 0, by: -1) { v = v << 8 | Int(b[at + i]) }
            return v
        }
        let block = 1 << 22
        var start = 0
        while start < fileSize {
            let count = min(block + 15, fileSize - start)
            guard count >= 16, let chunk = bytes(start, count) else { break }
            var hits: [Int] = []
            chunk.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var from = 0
                while from + 16 <= raw.count, let hit = memchr(base + from, 0x47, raw.count - from) {  // "G"
                    let o = base.distance(to: hit)
                    from = o + 1
                    guard o + 16 <= raw.count, o < block, chunk[o + 1] == 0x43, chunk[o + 2] == 0x4F,
                        chunk[o + 3] == 0x4C
                    else { continue }
                    // A header: "GCOL", version 1, three zero bytes, then the collection size.
                    guard chunk[o + 4] == 1, chunk[o + 5] == 0, chunk[o + 6] == 0, chunk[o + 7] == 0 else { continue }
                    hits.append(o)
                }
            }
            for o in hits {
                let at = start + o
                let size = le(chunk, o + 8, 8)
                guard size >= 16, size <= fileSize - at else {
                    return (at, "the heap collection runs past the end of the file")
                }
                guard let c = bytes(at, size) else { return (at, "the heap collection cannot be read") }
                // The walk libhdf5 does loading the collection (H5HG deserialize).
                var p = 16
                while p + 16 <= size {
                    let index = le(c, p, 2)
                    let objSize = le(c, p + 8, 8)
                    guard objSize >= 0, objSize <= size - p - (index == 0 ? 0 : 16) else {
                        return (
                            at + p, "heap object \(index) declares \(objSize) bytes, more than its collection holds"
                        )
                    }
                    guard index != 0 || objSize > 0 else { return (at + p, "the heap's free space has size 0") }
                    p += index == 0 ? objSize : 16 + (objSize + 7) / 8 * 8
                }
            }
            start += block
        }
        return nil
    }
}

/// The once-per-file result of `checkGlobalHeaps`.
final class HeapCheckState: @unchecked Sendable {
    let lock = NSLock()
    /// nil: not checked yet; .some(nil): fine; .some(error): refused.
    var result: HDF5Error??
    /// How many times this file's heaps were scanned (0 or 1).
    var scans = 0
}
