import CHDF5
import Foundation

/// One group or dataset found by walking the file's hard links.
struct HDF5Object: Sendable, Equatable {
    /// Groups hold links; datasets hold values.
    enum Kind: Sendable, Equatable { case group, dataset }
    /// The path without the leading slash (`""` is the root group).
    var path: String
    var kind: Kind
}

/// Collects the links of one group during `H5Literate`.
private final class LinkList {
    var links: [(name: String, type: H5L_type_t, address: haddr_t)] = []
    let limit: Int
    var overflow = false
    init(limit: Int) { self.limit = limit }
}

private let collectLink: H5L_iterate_t = { _, name, info, data in
    guard let name, let info, let data else { return -1 }
    let list = Unmanaged<LinkList>.fromOpaque(data).takeUnretainedValue()
    guard list.links.count < list.limit else {
        list.overflow = true
        return 1
    }
    let address: haddr_t = info.pointee.type == H5L_TYPE_HARD ? info.pointee.u.address : 0
    list.links.append((String(cString: name), info.pointee.type, address))
    return 0
}

extension HDF5File {
    /// Most groups plus datasets walked in one file.
    static let maxObjects = 200_000
    /// Deepest group nesting walked.
    static let maxDepth = 64

    /// Every group and dataset reachable from the root through hard links,
    /// depth first in name order. Soft links and second hard links to an
    /// object already seen are skipped with a note; external and
    /// user-defined links are refused.
    func walk() throws -> (objects: [HDF5Object], notes: [String]) {
        try HDF5Library.locked {
            var objects = [HDF5Object(path: "", kind: .group)]
            var notes: [String] = []
            var seen = Set<haddr_t>()
            var info = H5O_info_t()
            if H5Oget_info_by_name2(handle.id, "/", &info, UInt32(H5O_INFO_BASIC), linkAccess.id) >= 0 {
                seen.insert(info.addr)
            }
            try visit(group: "", depth: 0, into: &objects, notes: &notes, seen: &seen)
            return (objects, notes)
        }
    }

    private func visit(
        group: String, depth: Int, into objects: inout [HDF5Object], notes: inout [String],
        seen: inout Set<haddr_t>
    ) throws {
        guard depth < Self.maxDepth else {
            throw HDF5Error.tooComplex(
                file: displayName, reason: "groups nest deeper than \(Self.maxDepth) levels at '\(group)'")
        }
        let gpath = "/" + group
        let g = try HID.group(
            H5Gopen2(handle.id, gpath, fa_h5p_default()),
            HDF5Error.readFailed(file: displayName, object: gpath, reason: "cannot open the group"))
        let list = LinkList(limit: Self.maxObjects - objects.count + 1)
        var idx: hsize_t = 0
        let rc = H5Literate(
            g.id, H5_INDEX_NAME, H5_ITER_INC, &idx, collectLink, Unmanaged.passUnretained(list).toOpaque())
        if list.overflow {
            throw HDF5Error.tooComplex(file: displayName, reason: "more than \(Self.maxObjects) objects")
        }
        guard rc >= 0 else {
            throw HDF5Error.readFailed(file: displayName, object: gpath, reason: "cannot list the group")
        }
        for link in list.links {
            let path = group.isEmpty ? link.name : group + "/" + link.name
            switch link.type {
            case H5L_TYPE_HARD: break
            case H5L_TYPE_SOFT:
                notes.append("skipped soft link '\(path)'")
                continue
            case H5L_TYPE_EXTERNAL: throw HDF5Error.unsafeLink(file: displayName, link: path, kind: "external")
            default: throw HDF5Error.unsafeLink(file: displayName, link: path, kind: "user-defined")
            }
            guard seen.insert(link.address).inserted else {
                notes.append("skipped '\(path)', a second hard link to an object already read")
                continue
            }
            var info = H5O_info_t()
            guard H5Oget_info_by_name2(g.id, link.name, &info, UInt32(H5O_INFO_BASIC), linkAccess.id) >= 0 else {
                throw HDF5Error.readFailed(file: displayName, object: path, reason: "cannot get object info")
            }
            guard objects.count < Self.maxObjects else {
                throw HDF5Error.tooComplex(file: displayName, reason: "more than \(Self.maxObjects) objects")
            }
            switch info.type {
            case H5O_TYPE_GROUP:
                objects.append(HDF5Object(path: path, kind: .group))
                try visit(group: path, depth: depth + 1, into: &objects, notes: &notes, seen: &seen)
            case H5O_TYPE_DATASET:
                objects.append(HDF5Object(path: path, kind: .dataset))
            default:
                notes.append("skipped '\(path)', a named datatype")
            }
        }
    }
}
