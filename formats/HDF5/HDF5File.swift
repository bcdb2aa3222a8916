import CHDF5
import Foundation

/// An open HDF5 file on disk, shared by the
/// lazy readers of its tensors and closed when the last of them is gone.
final class HDF5File: @unchecked Sendable {
    /// The name used in error messages (the path, or `bundle.keras/model.weights.h5`).
    let displayName: String
    /// The file's size in bytes, the yardstick for a dataset's declared size.
    let fileSize: Int
    /// The open file.
    let handle: HID
    /// Link-access property list bounding soft-link traversal.
    let linkAccess: HID
    /// Where the file's bytes are, for reading raw data without libhdf5.
    let backing: Backing
    /// Whether the global heaps were checked (see `checkGlobalHeaps`).
    let heapCheck = HeapCheckState()

    /// Where the file's bytes are read from: its path, or a descriptor held
    /// open (so a private temporary file can be unlinked once opened).
    enum Backing: Sendable {
        case path(String)
        case descriptor(HDF5Descriptor)
    }

    /// Most links followed resolving one path (libhdf5's default is 16).
    static let maxLinkTraversals = 4

    private init(displayName: String, fileSize: Int, handle: HID, linkAccess: HID, backing: Backing) {
        self.backing = backing
        self.displayName = displayName
        self.fileSize = fileSize
        self.handle = handle
        self.linkAccess = linkAccess
    }

    /// Opens the file at `url`, read-only unless `writable`. With
    /// `holdingDescriptor`, every later read goes through descriptors opened
    /// now, so the caller may unlink the file as soon as this returns.
    static func open(
        _ url: URL, writable: Bool = false, displayName: String? = nil,
        holdingDescriptor: Bool = false
    ) throws -> HDF5File {
        let name = displayName ?? url.path
        var st = stat()
        guard stat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw HDF5Error.cannotOpen(file: name, reason: "no such file, or not a regular file")
        }
        let size = Int(st.st_size)
        var backing = Backing.path(url.path)
        if holdingDescriptor {
            guard let d = HDF5Descriptor(path: url.path) else {
                throw HDF5Error.cannotOpen(file: name, reason: String(cString: strerror(errno)))
            }
            backing = .descriptor(d)
        }
        return try HDF5Library.locked {
            let fapl = try accessList(name)
            let flags = writable ? fa_h5f_acc_rdwr() : UInt32(truncatingIfNeeded: fa_h5f_acc_rdonly())
            let file = try HID.file(
                H5Fopen(url.path, flags, fapl.id),
                HDF5Error.cannotOpen(
                    file: name, reason: "libhdf5 rejects it (truncated, corrupt or not HDF5)" + HDF5Library.lastError())
            )
            return HDF5File(
                displayName: name, fileSize: size, handle: file, linkAccess: try linkList(name), backing: backing)
        }
    }

    /// A file-access list without libhdf5's `flock` locking: outputs are
    /// written to private temporary files, and a forked probe (`HDF5Probe`)
    /// inheriting a descriptor must not keep a file locked against its parent.
    static func accessList(_ name: String) throws -> HID {
        let fapl = try HID.plist(
            H5Pcreate(fa_h5p_file_access()), HDF5Error.cannotOpen(file: name, reason: "no property list"))
        _ = H5Pset_file_locking(fapl.id, false, true)
        return fapl
    }

    /// A link-access list that follows few links and no external ones to other files' prefixes.
    private static func linkList(_ name: String) throws -> HID {
        let lapl = try HID.plist(
            H5Pcreate(fa_h5p_link_access()), HDF5Error.cannotOpen(file: name, reason: "no property list"))
        _ = H5Pset_nlinks(lapl.id, maxLinkTraversals)
        return lapl
    }
}
