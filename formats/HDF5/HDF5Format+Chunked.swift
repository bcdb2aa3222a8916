import CHDF5
import FairAudit
import Foundation

extension HDF5Format {
    /// Writes a new HDF5 file with one chunked, gzip-compressed dataset per
    /// tensor (what h5py's `create_dataset(..., compression="gzip")` makes):
    /// chunks of about `chunkBytes` bytes along the first axis, deflate at
    /// `gzipLevel` (h5py's default is 4), with the byte-shuffle filter first
    /// when `shuffle`. Tensors with no elements or no shape are written
    /// contiguous. Used by `fairaudit benchmark` to make a gzip-chunked file.
    public static func writeChunked(
        _ graph: ModelGraph, to url: URL, chunkBytes: Int = 1 << 20,
        gzipLevel: UInt32 = 4, shuffle: Bool = false
    ) throws {
        try HDF5Library.locked {
            let fail = { (o: String, r: String) in HDF5Error.writeFailed(file: url.path, object: o, reason: r) }
            let file = try HID.file(
                H5Fcreate(url.path, fa_h5f_acc_trunc(), fa_h5p_default(), fa_h5p_default()),
                fail("/", "cannot create the file"))
            let lcpl = try HID.plist(H5Pcreate(fa_h5p_link_create()), fail("/", "no property list"))
            _ = H5Pset_create_intermediate_group(lcpl.id, 1)
            for t in graph.tensors {
                let name = t.name.hasPrefix("/") ? String(t.name.dropFirst()) : t.name
                guard !name.isEmpty else { throw fail(t.name, "not a usable dataset name") }
                let ftype = try HID.type(try fileType(t.dtype, t.byteOrder), fail(name, "no HDF5 type for \(t.dtype)"))
                let dims = t.shape.map { hsize_t($0) }
                let space = try HID.space(
                    dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil),
                    fail(name, "no dataspace"))
                let dcpl = try HID.plist(H5Pcreate(fa_h5p_dataset_create()), fail(name, "no property list"))
                if !dims.isEmpty, t.elementCount > 0 {
                    // Rows of the first axis per chunk so a chunk holds about chunkBytes.
                    let rowBytes = max(1, t.byteCount / max(1, t.shape[0]))
                    var chunk = dims
                    chunk[0] = hsize_t(min(t.shape[0], max(1, chunkBytes / rowBytes)))
                    guard H5Pset_chunk(dcpl.id, Int32(chunk.count), chunk) >= 0 else {
                        throw fail(name, "cannot set chunks")
                    }
                    if shuffle { _ = H5Pset_shuffle(dcpl.id) }
                    guard H5Pset_deflate(dcpl.id, gzipLevel) >= 0 else { throw fail(name, "cannot set gzip") }
                }
                let d = try HID.dataset(
                    H5Dcreate2(file.id, name, ftype.id, space.id, lcpl.id, dcpl.id, fa_h5p_default()),
                    fail(name, "cannot create the dataset"))
                try writeValues(of: t, to: d.id, type: ftype.id, name: name, fail: fail)
            }
        }
    }
}
