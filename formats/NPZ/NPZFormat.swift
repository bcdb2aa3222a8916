import FairAudit
import Foundation

/// NumPy `.npz` archives (a zip of `.npy` members, stored by `np.savez`,
/// deflated by `np.savez_compressed`) and bare `.npy` files.
///
/// Tensor names are member names without `.npy` (for a bare `.npy`, the file
/// name's stem); each tensor's `origin` is its member name. Values stay in
/// the file: stored members are slices of the memory-mapped file, deflated
/// ones are inflated when first asked for.
public enum NPZFormat: ModelFormat {
    /// `"npz"`.
    public static let name = "npz"
    /// `npz` and `npy`.
    public static let fileExtensions = ["npz", "npy"]

    /// True for the `\x93NUMPY` magic, and for a zip (`PK\x03\x04`, or
    /// `PK\x05\x06` when empty) with a member ending in `.npy` — a Keras
    /// `.keras` zip holds `config.json` and is not claimed. A zip whose
    /// directory cannot be read is claimed, so reading it reports why.
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool {
        if prefix.starts(with: NPYHeader.magic) { return true }
        guard ZipArchive.isZip(prefix, orEmpty: true) else {
            return false
        }
        guard let archive = try? ZipArchive(url: url) else { return true }
        // Claimed when any member is an .npy (not only all), so a stray
        // member is reported by name when read; a `.keras` bundle is not claimed.
        let names = archive.entries.map(\.name)
        return archive.entries.isEmpty
            || (names.contains { $0.hasSuffix(".npy") } && !names.contains("model.weights.h5")
                && !names.contains("config.json"))
    }
}

extension NPZFormat {
    /// A zip's member records by name; a bare file as one part.
    public static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        ZipArchive.isZip(try FormatRegistry.prefix(of: url, count: 4))
            ? try ZipArchive.members(of: url) : [(url.lastPathComponent, try Data(contentsOf: url))]
    }
}
