import CHDF5
import FairAudit
import Foundation

/// The value of one HDF5 attribute, as far as fairaudit reads it.
enum HDF5AttributeValue: Sendable, Equatable {
    /// A scalar string (fixed- or variable-length).
    case string(String)
    /// An array of strings (Keras' `layer_names`, `weight_names`).
    case strings([String])
    /// Integers or floats converted to double; `scalar` for a 0-d attribute.
    case numbers([Double], scalar: Bool)
    /// A type fairaudit does not decode (compound, reference, …), by class name.
    case unsupported(String)

    /// The value as metadata text: strings as they are, arrays as JSON arrays,
    /// numbers as JSON numbers.
    var text: String {
        switch self {
        case .string(let s): s
        case .strings(let a): JSONValue.array(a.map { .string($0) }).serialized()
        case .numbers(let v, let scalar):
            scalar && v.count == 1
                ? JSONValue.finite(v[0]).serialized() : JSONValue.array(v.map { .finite($0) }).serialized()
        case .unsupported(let kind): "<\(kind) attribute>"
        }
    }

    /// The strings of a string or string-array value; an empty numeric array
    /// (how Keras writes `weight_names` for a layer without weights) is no strings.
    var stringList: [String]? {
        switch self {
        case .string(let s): [s]
        case .strings(let a): a
        case .numbers(let v, let scalar): v.isEmpty && !scalar ? [] : nil
        case .unsupported: nil
        }
    }
}

extension HDF5File {
    /// Most attributes read from one object.
    static let maxAttributes = 10_000
    /// Most bytes one attribute may hold.
    static let maxAttributeBytes = 64 << 20

    /// The attributes of the object at `path` (no leading slash), in name order.
    func attributes(of path: String) throws -> [(name: String, value: HDF5AttributeValue)] {
        try HDF5Library.locked {
            let place = "/" + path
            let fail = { (r: String) in
                HDF5Error.readFailed(
                    file: self.displayName, object: path.isEmpty ? "/" : path, reason: r + HDF5Library.lastError())
            }
            let obj = try HID(
                H5Oopen(handle.id, place, linkAccess.id), close: H5Oclose, or: fail("cannot open the object"))
            var info = H5O_info_t()
            guard H5Oget_info2(obj.id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else {
                throw fail("cannot count its attributes")
            }
            guard info.num_attrs <= hsize_t(Self.maxAttributes) else {
                throw fail("more than \(Self.maxAttributes) attributes")
            }
            var out: [(String, HDF5AttributeValue)] = []
            for i in 0..<info.num_attrs {
                let attr = try HID.attribute(
                    H5Aopen_by_idx(obj.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, fa_h5p_default(), fa_h5p_default()),
                    fail("cannot open attribute \(i)"))
                let len = H5Aget_name(attr.id, 0, nil)
                guard len >= 0 else { throw fail("cannot name attribute \(i)") }
                var nameBuf = [CChar](repeating: 0, count: len + 1)
                _ = H5Aget_name(attr.id, nameBuf.count, &nameBuf)
                let name = String(decoding: nameBuf.prefix(len).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                out.append((name, try attributeValue(attr, object: place + "@" + name)))
            }
            return out
        }
    }

    private func attributeValue(_ attr: HID, object: String) throws -> HDF5AttributeValue {
        let fail = { (r: String) in HDF5Error.readFailed(file: self.displayName, object: object, reason: r) }
        let ftype = try HID.type(H5Aget_type(attr.id), fail("no type"))
        let space = try HID.space(H5Aget_space(attr.id), fail("no dataspace"))
        let npoints = H5Sget_simple_extent_npoints(space.id)
        guard npoints >= 0 else { throw fail("bad dataspace") }
        let n = Int(npoints)
        let scalar = H5Sget_simple_extent_type(space.id) == H5S_SCALAR
        let size = H5Tget_size(ftype.id)
        guard size > 0, n <= Self.maxAttributeBytes / max(size, 1) else { throw fail("attribute too large") }
        switch H5Tget_class(ftype.id) {
        case H5T_STRING:
            let strings =
                try H5Tis_variable_str(ftype.id) > 0
                ? readVariableStrings(attr, ftype: ftype, space: space, count: n, fail: fail)
                : readFixedStrings(attr, ftype: ftype, count: n, size: size, fail: fail)
            return scalar && strings.count == 1 ? .string(strings[0]) : .strings(strings)
        case H5T_INTEGER, H5T_FLOAT:
            var values = [Double](repeating: 0, count: n)
            if n > 0 {
                guard H5Aread(attr.id, fa_h5t_native_double(), &values) >= 0 else { throw fail("cannot read numbers") }
            }
            return .numbers(values, scalar: scalar)
        case H5T_ENUM: return .unsupported("enum")
        case H5T_COMPOUND: return .unsupported("compound")
        case H5T_REFERENCE: return .unsupported("reference")
        case H5T_VLEN: return .unsupported("variable-length")
        case H5T_ARRAY: return .unsupported("array")
        default: return .unsupported("opaque")
        }
    }

    private func readVariableStrings(
        _ attr: HID, ftype: HID, space: HID, count: Int,
        fail: (String) -> HDF5Error
    ) throws -> [String] {
        let mem = try HID.type(H5Tcopy(fa_h5t_c_s1()), fail("no string type"))
        _ = H5Tset_size(mem.id, fa_h5t_variable())
        _ = H5Tset_cset(mem.id, H5Tget_cset(ftype.id))
        guard count > 0 else { return [] }
        try checkGlobalHeaps()
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Aread(attr.id, mem.id, &ptrs) >= 0 else { throw fail("cannot read strings") }
        defer { _ = H5Dvlen_reclaim(mem.id, space.id, fa_h5p_default(), &ptrs) }
        return ptrs.map { $0.map { String(cString: $0) } ?? "" }
    }

    private func readFixedStrings(
        _ attr: HID, ftype: HID, count: Int, size: Int,
        fail: (String) -> HDF5Error
    ) throws -> [String] {
        let mem = try HID.type(H5Tcopy(ftype.id), fail("no string type"))
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count * size)
        guard H5Aread(attr.id, mem.id, &bytes) >= 0 else { throw fail("cannot read strings") }
        let spacePadded = H5Tget_strpad(ftype.id) == H5T_STR_SPACEPAD
        return (0..<count).map { i in
            var s = bytes[(i * size)..<((i + 1) * size)]
            if let nul = s.firstIndex(of: 0) { s = s[..<nul] }
            var text = String(decoding: s, as: UTF8.self)
            if spacePadded { while text.hasSuffix(" ") { text.removeLast() } }
            return text
        }
    }
}
