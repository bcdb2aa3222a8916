import CHDF5
import FairAudit
import Foundation

extension HDF5Format {
    /// Copies `source` to a temporary file next to `url`, rewrites the
    /// modified tensors' datasets in place (same type, shape, chunking and
    /// filters), reads them back, and renames the copy to `url`. Every group,
    /// attribute and other dataset stays byte for byte as it was.
    static func writeBack(_ graph: ModelGraph, to url: URL, basedOn source: URL) throws {
        let modified = graph.tensors.filter(\.isModified)
        try AtomicFile.write(
            to: url, overwrite: true,
            produce: { tmp in
                try copyWritable(source, to: tmp, name: url.path)
                try rewrite(modified, inFileAt: tmp, displayName: url.path)
            },
            verify: { tmp in
                try verify(modified, in: HDF5File.open(tmp, displayName: url.path), displayName: url.path)
            })
    }

    /// Copies a file and makes the copy writable by its owner.
    static func copyWritable(_ source: URL, to tmp: URL, name: String) throws {
        do {
            try FileManager.default.copyItem(at: source, to: tmp)
            let attrs = try FileManager.default.attributesOfItem(atPath: tmp.path)
            let mode = (attrs[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
            try FileManager.default.setAttributes([.posixPermissions: mode | 0o600], ofItemAtPath: tmp.path)
        } catch {
            throw HDF5Error.writeFailed(
                file: name, object: "/", reason: "cannot copy \(source.path): \(error.localizedDescription)")
        }
    }

    /// Overwrites the values of each tensor's dataset (its `origin`) in the
    /// file at `path` (a staged copy of the source). libhdf5 parses it in this
    /// process only after the probe cleared it and its global heaps were
    /// checked, as on reading: the source may never have been read here.
    static func rewrite(_ tensors: [Tensor], inFileAt path: URL, displayName: String) throws {
        guard !tensors.isEmpty else { return }
        let cleared = try HDF5Probe.check(.file(path, displayName: displayName))
        let file = try HDF5File.open(path, writable: true, displayName: displayName)
        if cleared { file.heapsCheckedElsewhere() } else { try file.checkGlobalHeaps() }
        try HDF5Library.locked {
            for t in tensors {
                let dpath = t.origin.hasPrefix("/") ? t.origin : "/" + t.origin
                let fail = { (r: String) in HDF5Error.writeFailed(file: displayName, object: dpath, reason: r) }
                let d = try HID.dataset(
                    H5Dopen2(file.handle.id, dpath, fa_h5p_default()), fail("the source file has no such dataset"))
                let ftype = try HID.type(H5Dget_type(d.id), fail("no datatype"))
                let space = try HID.space(H5Dget_space(d.id), fail("no dataspace"))
                let shape = try HDF5File.shape(of: space.id, fail: fail)
                guard shape == t.shape else { throw fail("the dataset has shape \(shape), the tensor \(t.shape)") }
                let bytes = try t.rawBytes()
                guard bytes.count == t.byteCount else {
                    throw fail("the tensor holds \(bytes.count) bytes, its shape needs \(t.byteCount)")
                }
                let (dtype, order, desc) = HDF5File.dtype(of: ftype.id)
                // Same type as on disk: write the bytes as they are; otherwise let libhdf5 convert.
                let same = dtype == t.dtype && (order == t.byteOrder || t.dtype.byteSize == 1)
                let mem =
                    same ? nil : try HID.type(try fileType(t.dtype, t.byteOrder), fail("no memory type for \(t.dtype)"))
                if !same && dtype == nil { throw fail("the dataset holds \(desc), not numbers") }
                guard t.elementCount > 0 else { continue }
                let rc = bytes.withUnsafeBytes { raw in
                    H5Dwrite(d.id, mem?.id ?? ftype.id, fa_h5s_all(), fa_h5s_all(), fa_h5p_default(), raw.baseAddress)
                }
                guard rc >= 0 else { throw fail("libhdf5 failed writing the values") }
            }
            _ = H5Fflush(file.handle.id, H5F_SCOPE_GLOBAL)
        }
    }

    /// Reopens the written file and checks each rewritten dataset reads back
    /// as the tensor's bytes (or, after a type conversion, the same values).
    static func verify(_ tensors: [Tensor], in file: HDF5File, displayName: String) throws {
        guard !tensors.isEmpty else { return }
        for t in tensors {
            let dpath = t.origin.hasPrefix("/") ? String(t.origin.dropFirst()) : t.origin
            let info = try file.describeDataset(dpath)
            guard let dtype = info.dtype else {
                throw HDF5Error.writeFailed(file: displayName, object: dpath, reason: "not numeric after writing")
            }
            let back = try file.readRaw(dpath, byteCount: info.shape.reduce(dtype.byteSize, *))
            let ok: Bool
            if dtype == t.dtype && (info.byteOrder == t.byteOrder || dtype.byteSize == 1) {
                ok = try back == t.rawBytes()
            } else {
                let a = try Tensor.decode(
                    back, dtype: dtype, byteOrder: info.byteOrder, count: t.elementCount, name: t.name)
                let b = try t.doubleValues()
                ok = a.count == b.count && zip(a, b).allSatisfy { Self.sameAfterConversion($0, $1, to: dtype) }
            }
            guard ok else {
                throw HDF5Error.writeFailed(file: displayName, object: dpath, reason: "read back different values")
            }
        }
    }

    /// True when `stored` is `value` converted to `dtype`: equal, both NaN,
    /// within the rounding of a float type (half a unit in the last place,
    /// relative), or for integers within 1 of it or clamped to the type's range.
    static func sameAfterConversion(_ stored: Double, _ value: Double, to dtype: DType) -> Bool {
        if stored == value || (stored.isNaN && value.isNaN) { return true }
        let expected =
            (try? Tensor.decode(
                Tensor.encode([value], dtype: dtype, byteOrder: .native), dtype: dtype,
                byteOrder: .native, count: 1, name: ""))?.first
        if let expected, expected == stored { return true }
        let relative: Double
        switch dtype {
        case .float16: relative = 0x1p-11
        case .bfloat16: relative = 0x1p-8
        case .float32: relative = 0x1p-24
        case .float64: relative = 0x1p-53
        default: return abs(stored - value) <= 1
        }
        return abs(stored - value) <= relative * Swift.max(abs(value), abs(stored))
    }
}
