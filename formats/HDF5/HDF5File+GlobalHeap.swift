import CHDF5
import FairAudit
import Foundation

/// Whether an open file's global heap collections were checked, and what was found.
final class GlobalHeapCheck: @unchecked Sendable {
    /// nil until checked; then nil-wrapped problem text (`.some(nil)`: all sound).
    var verdict: String?? = nil
}

extension HDF5File {
    /// Refuses a file whose global heap (where variable-length strings live)
    /// has an object larger than its collection: libhdf5 1.10 copies such an
    /// object without checking its size (a heap over-read found by fuzzing).
    /// A free-space object of size 0 makes libhdf5 loop forever loading the
    /// collection (even to open a dataset), so files are scanned when opened
    /// (once; later calls reuse the verdict). Call with the library lock held.
    func checkGlobalHeaps(fail: (String) -> HDF5Error) throws {
        if globalHeapCheck.verdict == nil { globalHeapCheck.verdict = .some(scanGlobalHeaps()) }
        if case .some(.some(let problem)) = globalHeapCheck.verdict { throw fail(problem) }
    }

    /// The first corrupt global heap collection, in words, or nil.
    private func scanGlobalHeaps() -> String? {
        let nameLength = H5Fget_name(handle.id, nil, 0)
        var nameBuf = [CChar](repeating: 0, count: max(nameLength, 0) + 1)
        if nameLength > 0 { _ = H5Fget_name(handle.id, &nameBuf, nameBuf.count) }
        let name = String(decoding: nameBuf.prefix(max(nameLength, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if nameLength > 0, let h = FileHandle(forReadingAtPath: name) {
            defer { try? h.close() }
            let fd = h.fileDescriptor
            return Self.scanCollections(size: fileSize) { offset, buffer in
                max(0, pread(fd, buffer.baseAddress, buffer.count, off_t(offset)))
            }
        }
        // An in-memory image (a `.keras` member): ask libhdf5 for its bytes.
        let size = H5Fget_file_image(handle.id, nil, 0)
        guard size > 0 else { return nil }
        var image = [UInt8](repeating: 0, count: size)
        guard H5Fget_file_image(handle.id, &image, size) == size else { return nil }
        return image.withUnsafeBytes { all in
            Self.scanCollections(size: size) { offset, buffer in
                let n = max(0, min(buffer.count, size - offset))
                if n > 0, let src = all.baseAddress, let dst = buffer.baseAddress { dst.copyMemory(from: src + offset, byteCount: n) }
                return n
            }
        }
    }

    /// Finds every `GCOL` version-1 collection in `size` bytes, read through
    /// `fill(offset, buffer)` (returns the bytes read), and walks its objects
    /// (2-byte index, 2-byte reference count, 4 reserved, 8-byte size, data
    /// padded to 8) as libhdf5 does: each must fit in the collection.
    static func scanCollections(size: Int, fill: (Int, UnsafeMutableRawBufferPointer) -> Int) -> String? {
        func read(_ offset: Int, _ count: Int) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            let n = out.withUnsafeMutableBytes { fill(offset, $0) }
            return Array(out.prefix(n))
        }
        let block = 1 << 22
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: block + 3, alignment: 16)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { return nil }
        var start = 0
        while start < size {
            let count = fill(start, buffer)
            guard count >= 4 else { break }
            // memchr for each 'G', not a byte loop: a multi-gigabyte file is
            // scanned at memory speed even in debug builds, in one 4 MB buffer.
            var hits: [Int] = []
            var from = 0
            while from + 4 <= count, let hit = memchr(base + from, 0x47, count - from) {
                let at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                if at + 4 <= count, memcmp(base + at, "GCOL", 4) == 0 { hits.append(at) }
                from = at + 1
            }
            for i in hits {
                if let problem = checkCollection(at: start + i, fileSize: size, read: read) { return problem }
            }
            start += block
        }
        return nil
    }

    private static func checkCollection(at offset: Int, fileSize: Int, read: (Int, Int) -> [UInt8]) -> String? {
        let head = read(offset, 16)
        guard head.count == 16, head[4] == 1 else { return nil }  // not a version-1 collection
        let declared = head[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // libhdf5 refuses a collection that does not fit in the file; so do we skip it.
        guard declared >= 16, declared <= UInt64(fileSize - offset), declared <= 1 << 28 else { return nil }
        let c = read(offset, Int(declared))
        guard c.count == Int(declared) else { return nil }
        // The walk libhdf5 1.10 does when it loads the collection (H5HG deserialize).
        var p = 16
        while p + 16 <= c.count {
            let index = Int(c[p]) | Int(c[p + 1]) << 8
            let objectSize = c[(p + 8)..<(p + 16)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let room = UInt64(c.count - p - (index == 0 ? 0 : 16))
            guard objectSize <= room else {
                return "global heap object \(index) at offset \(offset + p) declares \(objectSize) bytes, its collection has \(room) left"
            }
            // Free space (index 0) of size 0 would never advance: libhdf5 loops forever.
            guard index != 0 || objectSize > 0 else { return "global heap free space at offset \(offset + p) has size 0" }
            p += index == 0 ? Int(objectSize) : 16 + (Int(objectSize) + 7) / 8 * 8
        }
        return nil
    }
}
