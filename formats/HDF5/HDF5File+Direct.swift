import CHDF5
import CZlib
import Foundation

/// Where a dataset's stored bytes are, so they can be read and decoded
/// without holding the libhdf5 lock: one contiguous block, or chunks that
/// are stored plain or through shuffle and deflate (what h5py writes).
struct HDF5DirectPlan: Sendable {
    /// One stored block: its element-space origin, file address, stored size
    /// and filter mask (bit i set: filter i was skipped for this chunk).
    struct Piece: Sendable {
        var origin: [Int]
        var address: Int
        var size: Int
        var mask: UInt32
    }
    var elementSize: Int
    var shape: [Int]
    /// Nil for a contiguous dataset.
    var chunkShape: [Int]?
    /// Pipeline positions of the shuffle and deflate filters, when present.
    var shuffleIndex: Int?
    var deflateIndex: Int?
    var pieces: [Piece]

    /// Most chunks planned directly (libhdf5 1.10 finds each chunk by index
    /// from the start, so very many small chunks go through `H5Dread`).
    static let maxChunks = 4096
}

extension HDF5File {
    /// A direct-read plan for the open dataset `d`, or nil when libhdf5
    /// should read it (other filters, unallocated chunks, user block, …).
    /// Call holding the lock.
    func directPlan(_ d: hid_t, space: hid_t, elementSize: Int, shape: [Int], byteCount: Int) -> HDF5DirectPlan? {
        guard byteCount > 0,
            let dcpl = try? HID.plist(H5Dget_create_plist(d), HDF5Error.tooComplex(file: "", reason: "")),
            H5Pget_external_count(dcpl.id) == 0
        else { return nil }
        let layout = H5Pget_layout(dcpl.id)
        if layout == H5D_CONTIGUOUS {
            let addr = H5Dget_offset(d)
            guard H5Pget_nfilters(dcpl.id) == 0, addr != haddr_t.max, H5Dget_storage_size(d) == hsize_t(byteCount),
                addr <= haddr_t(fileSize), Int(addr) <= fileSize - byteCount
            else { return nil }
            return HDF5DirectPlan(
                elementSize: elementSize, shape: shape, chunkShape: nil,
                pieces: [.init(origin: shape.map { _ in 0 }, address: Int(addr), size: byteCount, mask: 0)])
        }
        guard layout == H5D_CHUNKED, !shape.isEmpty, userBlockSize() == 0 else { return nil }
        var plan = HDF5DirectPlan(elementSize: elementSize, shape: shape, chunkShape: nil, pieces: [])
        let nfilters = H5Pget_nfilters(dcpl.id)
        guard nfilters >= 0, nfilters <= 2 else { return nil }
        for i in 0..<nfilters {
            var flags: UInt32 = 0
            var nelmts = 8
            var config: UInt32 = 0
            var cd = [UInt32](repeating: 0, count: 8)
            switch H5Pget_filter2(dcpl.id, UInt32(i), &flags, &nelmts, &cd, 0, nil, &config) {
            case H5Z_filter_t(H5Z_FILTER_SHUFFLE) where plan.shuffleIndex == nil && plan.deflateIndex == nil:
                plan.shuffleIndex = Int(i)
            case H5Z_filter_t(H5Z_FILTER_DEFLATE) where plan.deflateIndex == nil: plan.deflateIndex = Int(i)
            default: return nil
            }
        }
        var chunk = [hsize_t](repeating: 0, count: shape.count)
        guard H5Pget_chunk(dcpl.id, Int32(shape.count), &chunk) == Int32(shape.count), chunk.allSatisfy({ $0 > 0 })
        else { return nil }
        let cshape = chunk.map { Int($0) }
        plan.chunkShape = cshape
        // A chunk far larger than the dataset is corrupt or hostile: leave it to libhdf5's checks.
        var chunkBytes = elementSize
        for c in cshape {
            let (p, overflow) = chunkBytes.multipliedReportingOverflow(by: c)
            guard !overflow, p <= byteCount * 64 + (1 << 20) else { return nil }
            chunkBytes = p
        }
        var expected = 1
        for (n, c) in zip(shape, cshape) { expected *= (n + c - 1) / c }
        var count: hsize_t = 0
        guard expected <= HDF5DirectPlan.maxChunks, H5Dget_num_chunks(d, space, &count) >= 0, Int(count) == expected
        else { return nil }
        let maxStored = plan.deflateIndex == nil ? chunkBytes : chunkBytes + chunkBytes / 2 + 4096
        for i in 0..<count {
            var origin = [hsize_t](repeating: 0, count: shape.count)
            var mask: UInt32 = 0
            var addr: haddr_t = 0
            var size: hsize_t = 0
            guard H5Dget_chunk_info(d, space, i, &origin, &mask, &addr, &size) >= 0, addr != haddr_t.max,
                size > 0, size <= hsize_t(maxStored), addr <= haddr_t(fileSize), Int(addr) <= fileSize - Int(size),
                zip(origin, zip(shape, cshape)).allSatisfy({ o, nc in Int(o) < nc.0 && Int(o) % nc.1 == 0 })
            else { return nil }
            plan.pieces.append(.init(origin: origin.map { Int($0) }, address: Int(addr), size: Int(size), mask: mask))
        }
        return plan
    }

    /// The size of the file's user block (0 for the files h5py and Keras write).
    private func userBlockSize() -> hsize_t {
        guard let fcpl = try? HID.plist(H5Fget_create_plist(handle.id), HDF5Error.tooComplex(file: "", reason: ""))
        else { return 1 }
        var size: hsize_t = 1
        return H5Pget_userblock(fcpl.id, &size) >= 0 ? size : 1
    }
}
