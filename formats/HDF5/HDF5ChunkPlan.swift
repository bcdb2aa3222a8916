import CHDF5
import FairAudit
import Foundation

/// Where every chunk of a chunked dataset is in the file and how to decode
/// it (inflate, then un-shuffle), for reading the chunks on several threads
/// from a memory map instead of one `H5Dread`.
struct HDF5ChunkPlan: @unchecked Sendable {
    /// One allocated chunk.
    struct Chunk {
        /// Element coordinates of its first element.
        var origin: [Int]
        /// Byte offset in the file and stored (filtered) size.
        var address: Int, size: Int
        /// Bit i set: filter i of the pipeline was skipped for this chunk.
        var mask: UInt32
    }

    let shape: [Int]
    let chunkShape: [Int]
    let elementSize: Int
    /// Pipeline positions of the shuffle and deflate filters, nil when absent.
    let shuffleBit: Int?, deflateBit: Int?
    let chunks: [Chunk]
    /// The file from the first chunk's start to the last chunk's end.
    let map: HDF5Mapping

    /// Bytes one chunk holds unfiltered.
    var chunkBytes: Int { chunkShape.reduce(elementSize, *) }

    /// Datasets with more chunks than this use `H5Dread`.
    static let maxChunks = 1 << 20

    /// The plan for dataset `d`, or nil when a filter other than shuffle then
    /// deflate is used, a chunk is not allocated (its values would be the
    /// fill value), or anything does not add up. `space` is the dataset's
    /// dataspace (libhdf5 1.10 mishandles `H5S_ALL` here). Call holding the HDF5 lock.
    static func make(dataset d: hid_t, space: hid_t, dcpl: hid_t, fd: Int32, shape: [Int], elementSize: Int) -> HDF5ChunkPlan? {
        let rank = shape.count
        guard rank > 0, rank <= 32, let (shuffleBit, deflateBit) = filters(dcpl) else { return nil }
        var dims = [hsize_t](repeating: 0, count: rank)
        guard H5Pget_chunk(dcpl, Int32(rank), &dims) == Int32(rank), dims.allSatisfy({ $0 > 0 && $0 <= hsize_t(Int32.max) }) else { return nil }
        let chunkShape = dims.map { Int($0) }
        let grid = zip(shape, chunkShape).map { ($0 + $1 - 1) / $1 }
        var total = 1
        for g in grid {
            let (p, over) = total.multipliedReportingOverflow(by: g)
            guard !over, p <= maxChunks else { return nil }
            total = p
        }
        var chunkBytes = elementSize
        for c in chunkShape {
            let (p, over) = chunkBytes.multipliedReportingOverflow(by: c)
            guard !over, p < (1 << 32) else { return nil }
            chunkBytes = p
        }
        var allocated: hsize_t = 0
        guard H5Dget_num_chunks(d, space, &allocated) >= 0, allocated == hsize_t(total) else { return nil }

        var chunks: [Chunk] = []
        chunks.reserveCapacity(total)
        var index = [Int](repeating: 0, count: rank)
        var lo = Int.max, hi = 0
        for _ in 0..<total {
            let origin = zip(index, chunkShape).map { $0 * $1 }
            var coords = origin.map { hsize_t($0) }
            var mask: UInt32 = 0, address: haddr_t = 0, size: hsize_t = 0
            guard H5Dget_chunk_info_by_coord(d, &coords, &mask, &address, &size) >= 0,
                  address != haddr_t.max, address < haddr_t(Int.max / 2), size > 0, size < hsize_t(1 << 32) else { return nil }
            chunks.append(Chunk(origin: origin, address: Int(address), size: Int(size), mask: mask))
            lo = min(lo, Int(address)); hi = max(hi, Int(address) + Int(size))
            var k = rank - 1
            while k >= 0 { index[k] += 1; if index[k] < grid[k] { break }; index[k] = 0; k -= 1 }
        }
        guard let map = HDF5Mapping(fd: fd, offset: lo, count: hi - lo, populate: true) else { return nil }
        return HDF5ChunkPlan(shape: shape, chunkShape: chunkShape, elementSize: elementSize, shuffleBit: shuffleBit,
                             deflateBit: deflateBit, chunks: chunks, map: map)
    }

    /// The positions of shuffle and deflate in the pipeline, when it holds
    /// nothing else and shuffle (if any) comes before deflate.
    private static func filters(_ dcpl: hid_t) -> (Int?, Int?)? {
        let n = H5Pget_nfilters(dcpl)
        guard n >= 0, n <= 2 else { return nil }
        var shuffle: Int?, deflate: Int?
        for i in 0..<Int(n) {
            var flags: UInt32 = 0, count = 8, config: UInt32 = 0
            var values = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            switch H5Pget_filter2(dcpl, UInt32(i), &flags, &count, &values, name.count, &name, &config) {
            case H5Z_FILTER_SHUFFLE where shuffle == nil && deflate == nil: shuffle = i
            case H5Z_FILTER_DEFLATE where deflate == nil: deflate = i
            default: return nil
            }
        }
        return (shuffle, deflate)
    }
}
