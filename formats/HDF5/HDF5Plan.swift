import CHDF5
import FairAudit
import Foundation

/// A new HDF5 file described as data: groups with string attributes, and
/// datasets holding tensors. Keras' files are written from one of these.
struct HDF5Plan {
    /// An attribute value, written as h5py writes a Python `str` (a
    /// variable-length UTF-8 string) or a list of them.
    enum Attribute: Equatable {
        case string(String)
        case strings([String])
    }

    /// Groups in creation order (`""` is the root), each with its attributes.
    private(set) var groups: [(path: String, attributes: [(String, Attribute)])] = [("", [])]
    /// Datasets in creation order.
    private(set) var datasets: [(path: String, tensor: Tensor)] = []

    /// Adds a group (and its parents), or more attributes to one already planned.
    mutating func group(_ path: String, _ attributes: [(String, Attribute)] = []) {
        var parent = ""
        for part in path.split(separator: "/") {
            parent = parent.isEmpty ? String(part) : parent + "/" + part
            if !groups.contains(where: { $0.path == parent }) { groups.append((parent, [])) }
        }
        if let i = groups.firstIndex(where: { $0.path == path }) { groups[i].attributes += attributes }
    }

    /// Adds a dataset holding `tensor`'s values at `path` (its groups too).
    mutating func dataset(_ path: String, _ tensor: Tensor) {
        let parent = path.split(separator: "/").dropLast().joined(separator: "/")
        group(parent)
        datasets.append((path, tensor))
    }
}

extension HDF5Format {
    /// Creates the file `plan` describes at `url` (a new private file: the
    /// caller stages and renames it), naming `displayName` in errors.
    static func create(_ plan: HDF5Plan, at url: URL, displayName: String) throws {
        try HDF5Library.locked {
            let fail = { (o: String, r: String) in
                HDF5Error.writeFailed(file: displayName, object: o.isEmpty ? "/" : o, reason: r)
            }
            let fapl = try HDF5File.accessList(displayName)
            let file = try HID.file(
                H5Fcreate(url.path, fa_h5f_acc_excl(), fa_h5p_default(), fapl.id), fail("/", "cannot create the file"))
            for (path, attributes) in plan.groups {
                let group =
                    path.isEmpty
                    ? try HID.group(H5Gopen2(file.id, "/", fa_h5p_default()), fail(path, "cannot open the root group"))
                    : try HID.group(
                        H5Gcreate2(file.id, path, fa_h5p_default(), fa_h5p_default(), fa_h5p_default()),
                        fail(path, "cannot create the group"))
                for (name, value) in attributes {
                    try writeAttribute(value, named: name, on: group.id, fail: { fail(path + "@" + name, $0) })
                }
            }
            for (path, t) in plan.datasets {
                let ftype = try HID.type(try fileType(t.dtype, t.byteOrder), fail(path, "no HDF5 type for \(t.dtype)"))
                let dims = t.shape.map { hsize_t($0) }
                let space = try HID.space(
                    dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil),
                    fail(path, "no dataspace"))
                let d = try HID.dataset(
                    H5Dcreate2(file.id, path, ftype.id, space.id, fa_h5p_default(), fa_h5p_default(), fa_h5p_default()),
                    fail(path, "cannot create the dataset"))
                try writeValues(of: t, to: d.id, type: ftype.id, name: path, fail: fail)
            }
            guard H5Fflush(file.id, H5F_SCOPE_GLOBAL) >= 0 else { throw fail("/", "libhdf5 failed flushing the file") }
        }
    }

    /// Writes a variable-length UTF-8 string attribute (scalar, or a 1-D list).
    private static func writeAttribute(
        _ value: HDF5Plan.Attribute, named name: String, on object: hid_t,
        fail: (String) -> HDF5Error
    ) throws {
        let type = try HID.type(H5Tcopy(fa_h5t_c_s1()), fail("no string type"))
        _ = H5Tset_size(type.id, fa_h5t_variable())
        _ = H5Tset_cset(type.id, H5T_CSET_UTF8)
        let strings: [String]
        let space: HID
        switch value {
        case .string(let s):
            strings = [s]
            space = try HID.space(H5Screate(H5S_SCALAR), fail("no dataspace"))
        case .strings(let list):
            strings = list
            var dims = [hsize_t(list.count)]
            space = try HID.space(H5Screate_simple(1, &dims, nil), fail("no dataspace"))
        }
        let attr = try HID.attribute(
            H5Acreate2(object, name, type.id, space.id, fa_h5p_default(), fa_h5p_default()),
            fail("cannot create the attribute"))
        guard !strings.isEmpty else { return }
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer<CChar>($0) }
        guard H5Awrite(attr.id, type.id, &pointers) >= 0 else { throw fail("libhdf5 failed writing the attribute") }
    }

    /// Reopens the file at `url` and checks every planned dataset reads back
    /// as its tensor's bytes and every attribute as planned.
    static func verify(_ plan: HDF5Plan, at url: URL, displayName: String) throws {
        let file = try HDF5File.open(url, displayName: displayName)
        for (path, t) in plan.datasets {
            guard try file.readRaw(path, byteCount: t.byteCount) == t.rawBytes() else {
                throw HDF5Error.writeFailed(file: displayName, object: path, reason: "read back different values")
            }
        }
        for (path, attributes) in plan.groups {
            let back = try file.attributes(of: path)
            for (name, value) in attributes {
                let want: [String] =
                    switch value {
                    case .string(let s): [s]
                    case .strings(let l): l
                    }
                guard back.first(where: { $0.name == name })?.value.stringList == want else {
                    throw HDF5Error.writeFailed(
                        file: displayName, object: path + "@" + name, reason: "read back a different attribute")
                }
            }
        }
    }
}
