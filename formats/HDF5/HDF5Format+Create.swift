import CHDF5
import FairAudit
import Foundation

extension HDF5Format {
    /// Writes a new HDF5 file with one dataset per tensor, named by the
    /// tensor's name (`/` making groups), in the tensor's dtype and byte
    /// order, contiguous: the state-dict file h5py writes from a dict of arrays.
    static func create(_ graph: ModelGraph, at url: URL) throws {
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                try HDF5Library.locked {
                    let fail = { (o: String, r: String) in HDF5Error.writeFailed(file: url.path, object: o, reason: r) }
                    let fapl = try HDF5File.accessList(url.path)
                    let file = try HID.file(
                        H5Fcreate(tmp.path, fa_h5f_acc_excl(), fa_h5p_default(), fapl.id),
                        fail("/", "cannot create the file"))
                    let lcpl = try HID.plist(H5Pcreate(fa_h5p_link_create()), fail("/", "no property list"))
                    _ = H5Pset_create_intermediate_group(lcpl.id, 1)
                    for t in graph.tensors {
                        let name = t.name.hasPrefix("/") ? String(t.name.dropFirst()) : t.name
                        guard !name.isEmpty,
                            !name.split(separator: "/", omittingEmptySubsequences: false).contains(where: {
                                $0.isEmpty || $0 == "."
                            })
                        else {
                            throw fail(t.name, "not a usable dataset name")
                        }
                        let ftype = try HID.type(
                            try fileType(t.dtype, t.byteOrder), fail(name, "no HDF5 type for \(t.dtype)"))
                        let dims = t.shape.map { hsize_t($0) }
                        let space = try HID.space(
                            dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil),
                            fail(name, "no dataspace"))
                        let d = try HID.dataset(
                            H5Dcreate2(file.id, name, ftype.id, space.id, lcpl.id, fa_h5p_default(), fa_h5p_default()),
                            fail(name, "cannot create the dataset (does another tensor use the name as a group?)"))
                        try writeValues(of: t, to: d.id, type: ftype.id, name: name, fail: fail)
                    }
                }
            },
            verify: { tmp in
                let file = try HDF5File.open(tmp, displayName: url.path)
                for t in graph.tensors {
                    let name = t.name.hasPrefix("/") ? String(t.name.dropFirst()) : t.name
                    guard try file.readRaw(name, byteCount: t.byteCount) == t.rawBytes() else {
                        throw HDF5Error.writeFailed(file: url.path, object: name, reason: "read back different values")
                    }
                }
            })
    }

    /// A new HDF5 type storing `dtype` in `order` (caller closes it): IEEE
    /// floats, two's-complement integers, h5py's 2-byte float16 and its
    /// FALSE/TRUE enum for bool.
    static func fileType(_ dtype: DType, _ order: ByteOrder) throws -> hid_t {
        let base: hid_t =
            switch dtype {
            case .float16, .bfloat16, .float32: fa_h5t_native_float()
            case .float64: fa_h5t_native_double()
            case .int8, .bool: fa_h5t_native_int8()
            case .int16: fa_h5t_native_int16()
            case .int32: fa_h5t_native_int32()
            case .int64: fa_h5t_native_int64()
            case .uint8: fa_h5t_native_uint8()
            case .uint16: fa_h5t_native_uint16()
            case .uint32: fa_h5t_native_uint32()
            case .uint64: fa_h5t_native_uint64()
            }
        if dtype == .bool {
            let t = H5Tenum_create(base)
            var no: Int8 = 0
            var yes: Int8 = 1
            _ = H5Tenum_insert(t, "FALSE", &no)
            _ = H5Tenum_insert(t, "TRUE", &yes)
            return t
        }
        let t = H5Tcopy(base)
        guard t >= 0 else { return t }
        if dtype == .float16 || dtype == .bfloat16 {
            let half = dtype == .float16
            _ = H5Tset_fields(t, 15, half ? 10 : 7, half ? 5 : 8, 0, half ? 10 : 7)
            _ = H5Tset_size(t, 2)
            _ = H5Tset_ebias(t, half ? 15 : 127)
        }
        _ = H5Tset_order(t, order == .big ? H5T_ORDER_BE : H5T_ORDER_LE)
        return t
    }

    /// Writes a tensor's stored bytes into dataset `d` of file type `type`
    /// (the bytes are already in that type and byte order); an empty tensor writes nothing.
    static func writeValues(
        of t: Tensor, to d: hid_t, type: hid_t, name: String,
        fail: (String, String) -> HDF5Error
    ) throws {
        let bytes = try t.rawBytes()
        guard bytes.count == t.byteCount else {
            throw fail(name, "the tensor holds \(bytes.count) bytes, its shape needs \(t.byteCount)")
        }
        guard t.elementCount > 0 else { return }
        let rc = bytes.withUnsafeBytes { raw in
            H5Dwrite(d, type, fa_h5s_all(), fa_h5s_all(), fa_h5p_default(), raw.baseAddress)
        }
        guard rc >= 0 else { throw fail(name, "libhdf5 failed writing the values") }
    }
}
