import CHDF5
import FairAudit
import Foundation

extension HDF5File {
    /// The most chunks of one filtered dataset checked before reading; a
    /// dataset split into more is refused.
    static let maxCheckedChunks = 1 << 20

    /// Refuses a filtered chunked dataset with a stored chunk that skipped a
    /// filter yet holds fewer bytes than a chunk: libhdf5 1.10 copies a whole
    /// chunk out of such a buffer (a heap over-read found by fuzzing).
    /// Call with the library lock held.
    func checkChunks(_ d: hid_t, dcpl: hid_t, elementSize: Int, path: String,
                     fail: (String) -> HDF5Error) throws {
        guard H5Pget_layout(dcpl) == H5D_CHUNKED, H5Pget_nfilters(dcpl) > 0 else { return }
        let space = try HID.space(H5Dget_space(d), fail("no dataspace"))
        let dims = try Self.shape(of: space.id, fail: fail)
        guard !dims.isEmpty else { return }
        var chunk = [hsize_t](repeating: 0, count: dims.count)
        guard H5Pget_chunk(dcpl, Int32(dims.count), &chunk) == Int32(dims.count), chunk.allSatisfy({ $0 > 0 }) else {
            throw fail("its chunk shape is not readable")
        }
        var chunkBytes = elementSize, grid = 1
        for (n, c) in zip(dims, chunk) {
            let (b, o1) = chunkBytes.multipliedReportingOverflow(by: Int(clamping: c))
            let (g, o2) = grid.multipliedReportingOverflow(by: n == 0 ? 0 : (n - 1) / Int(clamping: c) + 1)
            guard !o1, !o2, g <= Self.maxCheckedChunks else { throw fail("it has more than \(Self.maxCheckedChunks) chunks") }
            chunkBytes = b; grid = g
        }
        guard grid > 0 else { return }
        var index = [Int](repeating: 0, count: dims.count)
        for _ in 0..<grid {
            var offset = zip(index, chunk).map { hsize_t($0) * $1 }
            var mask: UInt32 = 0, addr: haddr_t = 0, size: hsize_t = 0
            if H5Dget_chunk_info_by_coord(d, &offset, &mask, &addr, &size) >= 0,
               addr != haddr_t.max, mask != 0, size < hsize_t(chunkBytes) {
                throw fail("a chunk at \(offset) skipped its filters but holds \(size) of \(chunkBytes) bytes")
            }
            for k in index.indices.reversed() {  // next chunk in C order
                index[k] += 1
                if index[k] * Int(chunk[k]) < dims[k] { break }
                index[k] = 0
            }
        }
    }
}
