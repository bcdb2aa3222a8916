import Foundation

extension HDF5File {
    /// Checks every global heap collection (`GCOL`, where variable-length
    /// strings live) before libhdf5 reads one: each object must fit inside
    /// its collection and the collection inside the file. libhdf5 1.10
    /// trusts these sizes and copies past its buffer on a corrupt one, so a
    /// damaged heap is refused here instead. Assumes 8-byte lengths, as
    /// h5py and Keras files have; runs once per file, on the first
    /// variable-length attribute.
    func checkGlobalHeaps() throws {
        heapCheck.lock.lock()
        defer { heapCheck.lock.unlock() }
        if let result = heapCheck.result { if let e = result { throw e }; return }
        let problem = Self.findHeapProblem(in: backing, fileSize: fileSize)
        let error = problem.map { HDF5Error.readFailed(file: displayName, object: "global heap at byte \($0.0)", reason: $0.1) }
        heapCheck.result = .some(error)
        if let error { throw error }
    }

    /// The offset and description of the first inconsistent collection, or nil.
    private static func findHeapProblem(in backing: Backing, fileSize: Int) -> (Int, String)? {
        let data: Data
        switch backing {
        case .image(let d): data = d
        case .path(let p):
            guard let d = try? Data(contentsOf: URL(fileURLWithPath: p), options: .alwaysMapped) else { return (0, "cannot map the file") }
            data = d
        }
        return data.withUnsafeBytes { raw -> (Int, String)? in
            guard let base = raw.baseAddress, raw.count >= 16 else { return nil }
            let bytes = raw.bindMemory(to: UInt8.self)
            func le(_ at: Int, _ n: Int) -> Int {
                var v = 0
                for i in stride(from: n - 1, through: 0, by: -1) { v = v << 8 | Int(bytes[at + i]) }
                return v
            }
            var from = 0
            while from + 16 <= raw.count, let hit = memchr(base + from, 0x47, raw.count - from) {  // "G"
                let o = base.distance(to: hit)
                from = o + 1
                guard o + 16 <= raw.count, bytes[o + 1] == 0x43, bytes[o + 2] == 0x4F, bytes[o + 3] == 0x4C else { continue }
                // A header: "GCOL", version 1, three zero bytes, then the collection size.
                guard bytes[o + 4] == 1, bytes[o + 5] == 0, bytes[o + 6] == 0, bytes[o + 7] == 0 else { continue }
                let size = le(o + 8, 8)
                guard size >= 16, size <= raw.count - o else { return (o, "the heap collection runs past the end of the file") }
                var p = o + 16
                let end = o + size
                while p + 16 <= end {
                    let index = le(p, 2)
                    let objSize = le(p + 8, 8)
                    guard objSize >= 0, objSize <= end - p - (index == 0 ? 0 : 16) else {
                        return (p, "heap object \(index) declares \(objSize) bytes, more than its collection holds")
                    }
                    if index == 0 { break }  // the free-space object ends the list
                    p += 16 + (objSize + 7) / 8 * 8
                }
            }
            return nil
        }
    }
}

/// The once-per-file result of `checkGlobalHeaps`.
final class HeapCheckState: @unchecked Sendable {
    let lock = NSLock()
    /// nil: not checked yet; .some(nil): fine; .some(error): refused.
    var result: HDF5Error??
}
