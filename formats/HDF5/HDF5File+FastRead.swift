import CHDF5
import FairAudit
import Foundation

/// How a dataset's bytes can be read without `H5Dread`.
enum HDF5FastPlan {
    /// Contiguous and unfiltered: the bytes are a slice of the file.
    case contiguous(HDF5Mapping)
    /// Chunked, every chunk allocated, filters only shuffle and/or deflate.
    case chunked(HDF5ChunkPlan)
}

extension HDF5File {
    /// The dataset's raw bytes by a fast path, or nil when none applies (the
    /// caller then uses `H5Dread`). Only for files on disk opened with the
    /// default (sec2) driver, read-only:
    /// - contiguous, unfiltered, allocated: a prefaulted memory map of its
    ///   bytes (zero-copy; libhdf5 would copy them through a read buffer);
    /// - chunked with only shuffle/deflate: chunk addresses from libhdf5
    ///   (under its lock), then the chunks inflated straight from a memory
    ///   map of the file on two threads, outside the lock.
    /// Every address and size is checked against the file; a chunk that does
    /// not inflate to exactly its size is an error naming the dataset.
    func fastReadRaw(_ path: String, byteCount: Int) throws -> Data? {
        guard byteCount > 0 else { return nil }
        let skip = HDF5Error.readFailed(file: displayName, object: path, reason: "no fast path")
        let plan: HDF5FastPlan? = HDF5Library.locked {
            guard let fd = posixDescriptor(),
                  let d = try? HID.dataset(H5Dopen2(handle.id, "/" + path, fa_h5p_default()), skip),
                  let dcpl = try? HID.plist(H5Dget_create_plist(d.id), skip),
                  let type = try? HID.type(H5Dget_type(d.id), skip),
                  let space = try? HID.space(H5Dget_space(d.id), skip),
                  H5Pget_external_count(dcpl.id) == 0,
                  let shape = try? Self.shape(of: space.id, fail: { _ in skip }) else { return nil }
            let elementSize = H5Tget_size(type.id)
            guard elementSize > 0, shape.reduce(elementSize, *) == byteCount else { return nil }
            switch H5Pget_layout(dcpl.id) {
            case H5D_CONTIGUOUS:
                let address = H5Dget_offset(d.id)
                guard H5Pget_nfilters(dcpl.id) == 0, address != haddr_t.max, address <= haddr_t(Int.max),
                      H5Dget_storage_size(d.id) == hsize_t(byteCount),
                      let map = HDF5Mapping(fd: fd, offset: Int(address), count: byteCount, populate: true) else { return nil }
                return .contiguous(map)
            case H5D_CHUNKED:
                return HDF5ChunkPlan.make(dataset: d.id, space: space.id, dcpl: dcpl.id, fd: fd, shape: shape, elementSize: elementSize)
                    .map { .chunked($0) }
            default:
                return nil
            }
        }
        switch plan {
        case nil: return nil
        case .contiguous(let map): return map.data()
        case .chunked(let chunks): return try chunks.read(byteCount: byteCount, file: displayName, dataset: path)
        }
    }

    /// The POSIX descriptor libhdf5 reads the file through, when it was opened
    /// read-only with the sec2 driver (not an in-memory image, not a file
    /// being rewritten in place). Call holding the lock.
    private func posixDescriptor() -> Int32? {
        var intent: UInt32 = 0
        guard H5Fget_intent(handle.id, &intent) >= 0, intent & fa_h5f_acc_rdwr() == 0 else { return nil }
        let fapl = H5Fget_access_plist(handle.id)
        guard fapl >= 0 else { return nil }
        defer { _ = H5Pclose(fapl) }
        guard H5Pget_driver(fapl) == H5FD_sec2_init() else { return nil }
        var raw: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(handle.id, fapl, &raw) >= 0, let raw else { return nil }
        let fd = raw.load(as: Int32.self)
        return fd >= 0 ? fd : nil
    }
}
