import FairAudit
import Foundation

/// PyTorch checkpoints written by `torch.save` (the zip format of PyTorch
/// 1.6 and later): `<archive>/data.pkl` (the pickled object),
/// `<archive>/data/<key>` (one raw storage each), `<archive>/version`,
/// `<archive>/byteorder`.
///
/// The pickle is read by `Unpickler`, which never executes anything and
/// allows only the globals `torch.load(weights_only=True)` allows for
/// tensors. Tensors are named by their key path in nested dicts
/// (`state_dict.net.0.weight`); other plain values become metadata. Each
/// tensor's values are read on demand from its storage, honoring its offset
/// and strides (a non-contiguous view is gathered into C order). Legacy
/// (pre-1.6, non-zip) files and TorchScript archives are recognized and refused.
public enum PyTorchFormat: ModelFormat {
    /// `"pytorch"`.
    public static let name = "pytorch"
    /// `pt`, `pth`, `bin`, `ckpt`.
    public static let fileExtensions = ["pt", "pth", "bin", "ckpt"]

    /// The magic number legacy `torch.save` files start with, pickled as a protocol-2 LONG1.
    static let legacyMagic: [UInt8] = [
        0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19,
    ]

    /// True for a zip with a `torch.save` or TorchScript member
    /// (`<archive>/data.pkl`, `constants.pkl`, `version`, `byteorder`), and
    /// for a bare pickle (a legacy checkpoint), so reading it says which it is.
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool {
        if prefix.count >= 2, prefix[0] == 0x80, (2...5).contains(prefix[1]) { return true }
        guard ZipArchive.isZip(prefix), let archive = try? ZipArchive(url: url) else { return false }
        return archive.entries.contains { e in
            let parts = e.name.split(separator: "/")
            return parts.count >= 2
                && ["data.pkl", "constants.pkl", "version", "byteorder"].contains(String(parts[parts.count - 1]))
        }
    }

    /// Where a checkpoint's members are.
    struct Layout {
        /// The folder every member is under (`archive`, or the file's stem).
        var root: String
        /// `<root>/data.pkl`.
        var pickle: ZipEntry
        /// The storages' byte order (`<root>/byteorder`, little when absent).
        var byteOrder: ByteOrder

        /// The member holding storage `key`.
        func storageMember(_ key: String) -> String { "\(root)/data/\(key)" }
    }

    /// Finds `data.pkl`, refusing TorchScript archives and zips without one.
    static func layout(of archive: ZipArchive, file: String) throws -> Layout {
        let names = archive.entries.map(\.name)
        if names.contains(where: { $0.hasSuffix("/constants.pkl") || $0.contains("/code/") }) {
            throw PyTorchError.unsupportedKind(
                file: file, kind: "a TorchScript archive (torch.jit.save)",
                hint: "save the weights with torch.save(model.state_dict(), path) and read that")
        }
        guard
            let pickle = archive.entries.first(where: { e in
                let parts = e.name.split(separator: "/", omittingEmptySubsequences: false)
                return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
            })
        else {
            let root = names.first.flatMap { $0.split(separator: "/").first }.map(String.init) ?? "archive"
            throw PyTorchError.missingMember(file: file, member: "\(root)/data.pkl")
        }
        let root = String(pickle.name.dropLast("/data.pkl".count))
        var order = ByteOrder.little
        if let e = archive.entry(named: "\(root)/byteorder") {
            let text = String(decoding: try PyTorchError.wrap { try archive.data(for: e) }, as: UTF8.self)
            switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "little": order = .little
            case "big": order = .big
            default:
                throw PyTorchError.badStructure(
                    file: file, path: e.name, reason: "byteorder is '\(text.prefix(16))', not little or big")
            }
        }
        return Layout(root: root, pickle: pickle, byteOrder: order)
    }

    /// Refuses a file that is a pickle but not a zip, saying which kind it is.
    static func refuseBarePickle(_ prefix: [UInt8], file: String) -> PyTorchError {
        if prefix.starts(with: legacyMagic) {
            return .unsupportedKind(
                file: file, kind: "a legacy (PyTorch before 1.6, non-zip) torch.save checkpoint",
                hint: "load it in Python and save it again with torch.save to get the zip format")
        }
        return .unsupportedKind(
            file: file, kind: "a bare Python pickle, not a torch.save zip checkpoint",
            hint: "unpickling it could run code; save the tensors with torch.save or safetensors")
    }
}

extension PyTorchFormat {
    /// A zip's member records by name; a bare file as one part.
    public static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        ZipArchive.isZip(try FormatRegistry.prefix(of: url, count: 4))
            ? try ZipArchive.members(of: url) : [(url.lastPathComponent, try Data(contentsOf: url))]
    }
}
