import CHDF5
import Foundation

/// The one lock every libhdf5 call goes through (the system libhdf5 is not
/// built thread-safe), and the library's one-time setup: no automatic error
/// printing, no filter plugins loaded from disk.
enum HDF5Library {
    /// Recursive, so a handle released inside a locked region can close itself.
    static let lock = NSRecursiveLock()

    /// True in a probe child (`HDF5Probe`): one thread only, and the lock,
    /// held by the parent's thread at the fork, cannot be taken there.
    nonisolated(unsafe) static var isProbeChild = false

    /// Runs `body` holding the lock, with error printing and plugin loading off.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        let child = isProbeChild
        if !child { lock.lock() }
        defer { if !child { lock.unlock() } }
        _ = H5open()
        _ = H5Eset_auto2(fa_h5e_default(), nil, nil)
        _ = H5PLset_loading_state(0)
        return try body()
    }
}

/// Owns one HDF5 identifier and closes it with the matching `H5?close` in `deinit`.
final class HID: @unchecked Sendable {
    /// The identifier.
    let id: hid_t
    private let closer: (hid_t) -> herr_t

    /// Takes ownership of `id`; throws `failure()` when `id` is negative (libhdf5's error value).
    init(_ id: hid_t, close: @escaping (hid_t) -> herr_t, or failure: @autoclosure () -> Error) throws {
        guard id >= 0 else { throw failure() }
        self.id = id
        self.closer = close
    }

    deinit {
        let id = id
        let closer = closer
        HDF5Library.locked { _ = closer(id) }
    }
}

extension HID {
    /// An owned file, group, dataset, type, space, attribute or property list.
    static func file(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID { try HID(id, close: H5Fclose, or: e()) }
    static func group(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID {
        try HID(id, close: H5Gclose, or: e())
    }
    static func dataset(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID {
        try HID(id, close: H5Dclose, or: e())
    }
    static func type(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID { try HID(id, close: H5Tclose, or: e()) }
    static func space(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID {
        try HID(id, close: H5Sclose, or: e())
    }
    static func attribute(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID {
        try HID(id, close: H5Aclose, or: e())
    }
    static func plist(_ id: hid_t, _ e: @autoclosure () -> Error) throws -> HID {
        try HID(id, close: H5Pclose, or: e())
    }
}

/// Collects the descriptions of libhdf5's error stack during `H5Ewalk2`.
private final class ErrorLines { var lines: [String] = [] }

private let collectError: H5E_walk2_t = { _, desc, data in
    guard let desc, let data, let text = desc.pointee.desc else { return 0 }
    Unmanaged<ErrorLines>.fromOpaque(data).takeUnretainedValue().lines.append(String(cString: text))
    return 0
}

extension HDF5Library {
    /// libhdf5's innermost error description on this thread (`"truncated
    /// file: eof = …"`), then the stack is cleared; empty when there is none.
    /// Call holding the lock, right after the failing call.
    static func lastError() -> String {
        let lines = ErrorLines()
        _ = H5Ewalk2(fa_h5e_default(), H5E_WALK_DOWNWARD, collectError, Unmanaged.passUnretained(lines).toOpaque())
        _ = H5Eclear2(fa_h5e_default())
        guard let last = lines.lines.last(where: { !$0.isEmpty }) else { return "" }
        return " (libhdf5: \(last))"
    }
}
