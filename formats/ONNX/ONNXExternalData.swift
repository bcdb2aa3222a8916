import FairAudit
import Foundation

/// Where an initializer's values lie outside the model file (ONNX external
/// data: `location`, `offset`, `length`), confined to the model's folder.
///
/// The location must be a relative path without `..` components that,
/// with symbolic links resolved, stays inside the folder; the file must
/// hold `offset + length` bytes. Values are read when first used.
struct ONNXExternalData {
    let url: URL
    let offset: Int
    let length: Int

    init(_ entries: [(String, String)], folder: URL, bytes: Int, bad: (String) -> ONNXError) throws {
        let fields = Dictionary(entries, uniquingKeysWith: { a, _ in a })
        guard let location = fields["location"], !location.isEmpty else {
            throw bad("its external data names no location")
        }
        guard !location.hasPrefix("/"), !location.hasPrefix("~"), !location.contains("\\") else {
            throw bad(
                "external data location '\(location)' is an absolute path; only files inside the model's folder are read"
            )
        }
        guard !location.split(separator: "/").contains("..") else {
            throw bad("external data location '\(location)' climbs out of the model's folder with '..'")
        }
        let root = folder.standardizedFileURL.resolvingSymlinksInPath().path
        let target = folder.appendingPathComponent(location).standardizedFileURL.resolvingSymlinksInPath()
        guard target.path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw bad("external data location '\(location)' leads outside the model's folder")
        }
        guard let offset = Int(fields["offset"] ?? "0"), offset >= 0 else {
            throw bad("external data offset '\(fields["offset"] ?? "")' is not a byte offset")
        }
        let length = Int(fields["length"] ?? "\(bytes)") ?? -1
        guard length == bytes else {
            throw bad(
                "external data length \(fields["length"] ?? "") does not match the \(bytes) bytes its shape needs")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int) ?? nil
        guard let size else { throw bad("external data file '\(location)' cannot be read") }
        guard offset <= size, size - offset >= length else {
            throw bad(
                "external data file '\(location)' holds \(size) bytes, fewer than offset \(offset) + length \(length)")
        }
        url = target
        self.offset = offset
        self.length = length
    }

    /// Storage reading the bytes when first asked for.
    func storage() -> TensorStorage {
        let url = url
        let offset = offset
        let length = length
        return .deferred {
            guard let h = FileHandle(forReadingAtPath: url.path) else {
                throw FairAuditError.unreadableFile(path: url.path, reason: "cannot open the external data")
            }
            defer { try? h.close() }
            try h.seek(toOffset: UInt64(offset))
            let data = try h.read(upToCount: length) ?? Data()
            guard data.count == length else {
                throw FairAuditError.unreadableFile(path: url.path, reason: "holds fewer bytes than its tensor needs")
            }
            return data
        }
    }
}
