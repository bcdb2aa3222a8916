import CHDF5
import FairAudit
import Foundation

/// What a dataset holds, found without reading its values.
struct HDF5DatasetInfo: Sendable {
    /// The dataset path without the leading slash.
    var path: String
    /// The element type when numeric, nil for strings and other types.
    var dtype: DType?
    /// The byte order the elements are stored in.
    var byteOrder: ByteOrder
    /// The dimensions, outermost first (empty for a scalar).
    var shape: [Int]
    /// The HDF5 type class in words, for reports on non-numeric datasets.
    var typeDescription: String
}

extension HDF5File {
    /// The dtype and byte order a numeric HDF5 type stores, or nil with a
    /// description. A 2-byte float is h5py's float16 (or bfloat16 by its
    /// field sizes); a 1-byte enum of FALSE/TRUE is h5py's bool.
    static func dtype(of type: hid_t) -> (DType?, ByteOrder, String) {
        let size = H5Tget_size(type)
        let order: ByteOrder = H5Tget_order(type) == H5T_ORDER_BE ? .big : .little
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            var spos = 0
            var epos = 0
            var esize = 0
            var mpos = 0
            var msize = 0
            _ = H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize)
            switch (size, esize, msize) {
            case (2, 5, 10): return (.float16, order, "float16")
            case (2, 8, 7): return (.bfloat16, order, "bfloat16")
            case (4, 8, 23): return (.float32, order, "float32")
            case (8, 11, 52): return (.float64, order, "float64")
            default: return (nil, order, "a \(size)-byte float with \(esize) exponent and \(msize) mantissa bits")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            let t: DType? =
                switch size {
                case 1: signed ? .int8 : .uint8
                case 2: signed ? .int16 : .uint16
                case 4: signed ? .int32 : .uint32
                case 8: signed ? .int64 : .uint64
                default: nil
                }
            return (t, order, t?.rawValue ?? "a \(size)-byte integer")
        case H5T_ENUM:
            if size == 1, isBoolEnum(type) { return (.bool, .little, "bool") }
            let base = H5Tget_super(type)
            guard base >= 0 else { return (nil, order, "an enum") }
            defer { _ = H5Tclose(base) }
            let (t, o, d) = dtype(of: base)
            return (t, o, "an enum of " + d)
        case H5T_STRING: return (nil, order, "strings")
        case H5T_COMPOUND: return (nil, order, "compound records")
        case H5T_REFERENCE: return (nil, order, "object references")
        case H5T_VLEN: return (nil, order, "variable-length sequences")
        case H5T_ARRAY: return (nil, order, "fixed-size arrays")
        default: return (nil, order, "opaque data")
        }
    }

    /// True for h5py's bool: an enum with exactly FALSE = 0 and TRUE = 1.
    private static func isBoolEnum(_ type: hid_t) -> Bool {
        guard H5Tget_nmembers(type) == 2 else { return false }
        var names: [String] = []
        for i in 0..<UInt32(2) {
            guard let p = H5Tget_member_name(type, i) else { return false }
            names.append(String(cString: p))
            H5free_memory(p)
        }
        return names == ["FALSE", "TRUE"]
    }

    /// Describes the dataset at `path` and refuses it when its values live
    /// outside the file (external storage, virtual layout) or it declares
    /// more bytes than the file can hold (its size when stored unfiltered,
    /// 1000× its size when compressed).
    func describeDataset(_ path: String) throws -> HDF5DatasetInfo {
        try HDF5Library.locked {
            let fail = { (r: String) in
                HDF5Error.readFailed(file: self.displayName, object: path, reason: r + HDF5Library.lastError())
            }
            let d = try HID.dataset(H5Dopen2(handle.id, "/" + path, fa_h5p_default()), fail("cannot open the dataset"))
            let dcpl = try HID.plist(H5Dget_create_plist(d.id), fail("no creation property list"))
            if H5Pget_layout(dcpl.id) == H5D_VIRTUAL {
                throw HDF5Error.externalData(file: displayName, dataset: path, kind: "other files (a virtual dataset)")
            }
            if H5Pget_external_count(dcpl.id) > 0 {
                throw HDF5Error.externalData(file: displayName, dataset: path, kind: "external files")
            }
            let type = try HID.type(H5Dget_type(d.id), fail("no datatype"))
            let space = try HID.space(H5Dget_space(d.id), fail("no dataspace"))
            let shape = try Self.shape(of: space.id, fail: fail)
            let (dtype, order, desc) = Self.dtype(of: type.id)
            let elementSize = H5Tget_size(type.id)
            var declared = elementSize
            for n in shape {
                let (p, overflow) = declared.multipliedReportingOverflow(by: n)
                guard !overflow else {
                    throw HDF5Error.absurdSize(file: displayName, dataset: path, declared: Int.max, limit: fileSize)
                }
                declared = p
            }
            let compressed = H5Pget_nfilters(dcpl.id) > 0
            let (limit, over) = fileSize.multipliedReportingOverflow(by: compressed ? 1000 : 1)
            if !over && declared > limit {
                throw HDF5Error.absurdSize(file: displayName, dataset: path, declared: declared, limit: limit)
            }
            return HDF5DatasetInfo(path: path, dtype: dtype, byteOrder: order, shape: shape, typeDescription: desc)
        }
    }

    /// The dimensions of a dataspace (`[]` scalar, `[0]` null).
    static func shape(of space: hid_t, fail: (String) -> HDF5Error) throws -> [Int] {
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR: return []
        case H5S_NULL: return [0]
        default: break
        }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw fail("bad rank \(rank)") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { throw fail("bad dimensions") }
        return try dims.map { d in
            guard d <= hsize_t(Int.max) else { throw fail("dimension \(d) too large") }
            return Int(d)
        }
    }

    /// The raw C-order bytes of the dataset at `path`, in its on-disk type and
    /// byte order. Contiguous datasets and chunks stored plain or with
    /// shuffle+deflate are read from the file directly (chunks decoded in
    /// parallel, outside the lock); anything else through `H5Dread` with the
    /// file type as the memory type, so there is no conversion either way.
    ///
    /// With `probe`, only what libhdf5 parses is exercised (the chunk index,
    /// and `H5Dread` of datasets up to 16 MB); the result is then empty.
    func readRaw(_ path: String, byteCount: Int, probe: Bool = false) throws -> Data {
        let direct: HDF5DirectPlan? = try HDF5Library.locked {
            let fail = { (r: String) in
                HDF5Error.readFailed(file: self.displayName, object: path, reason: r + HDF5Library.lastError())
            }
            let d = try HID.dataset(H5Dopen2(handle.id, "/" + path, fa_h5p_default()), fail("cannot open the dataset"))
            let type = try HID.type(H5Dget_type(d.id), fail("no datatype"))
            let space = try HID.space(H5Dget_space(d.id), fail("no dataspace"))
            let n = H5Sget_simple_extent_npoints(space.id)
            let size = H5Tget_size(type.id)
            guard n >= 0, Int(n) * size == byteCount else { throw fail("its size changed since it was opened") }
            guard byteCount > 0 else { return nil }
            let shape = try Self.shape(of: space.id, fail: fail)
            return directPlan(d.id, space: space.id, elementSize: size, shape: shape, byteCount: byteCount)
        }
        if let direct { return probe ? Data() : try readDirect(direct, byteCount: byteCount, path: path) }
        guard byteCount > 0, !probe || byteCount <= 16 << 20 else { return Data() }
        return try HDF5Library.locked {
            let fail = { (r: String) in
                HDF5Error.readFailed(file: self.displayName, object: path, reason: r + HDF5Library.lastError())
            }
            let d = try HID.dataset(H5Dopen2(handle.id, "/" + path, fa_h5p_default()), fail("cannot open the dataset"))
            let type = try HID.type(H5Dget_type(d.id), fail("no datatype"))
            // Uninitialized memory: libhdf5 fills all of it, so zeroing first would only cost a pass.
            guard let buffer = LargeBuffer.allocate(byteCount) else {
                throw fail("out of memory for \(byteCount) bytes")
            }
            guard H5Dread(d.id, type.id, fa_h5s_all(), fa_h5s_all(), fa_h5p_default(), buffer) >= 0 else {
                LargeBuffer.free(buffer, count: byteCount)
                throw fail("libhdf5 failed (corrupt data, or a filter that is not built in)")
            }
            return LargeBuffer.data(buffer, count: byteCount)
        }
    }
}
