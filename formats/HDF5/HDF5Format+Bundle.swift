import FairAudit
import Foundation

/// Keras 3 `.keras` bundles: a zip holding `config.json` (the architecture),
/// `metadata.json` and `model.weights.h5` (the weights, in the keras3-weights
/// layout). The weights file is opened from memory through libhdf5's file
/// image; tensor names are dataset paths inside it.
extension HDF5Format {
    /// The member that holds the weights.
    static let bundleWeights = "model.weights.h5"

    /// True when `url` is a zip holding `model.weights.h5`.
    static func isBundle(_ url: URL) -> Bool {
        guard let zip = try? ZipArchive(url: url) else { return false }
        return zip.entry(named: bundleWeights) != nil
    }

    /// Opens the bundle's zip, naming the file in any error.
    static func openBundle(_ url: URL) throws -> (ZipArchive, ZipEntry) {
        let zip: ZipArchive
        do { zip = try ZipArchive(url: url) } catch {
            throw HDF5Error.badBundle(file: url.path, reason: "\(error)")
        }
        guard let weights = zip.entry(named: bundleWeights) else {
            throw HDF5Error.badBundle(file: url.path, reason: "it holds no \(bundleWeights)")
        }
        return (zip, weights)
    }

    /// Reads a `.keras` bundle: the weights from memory, the architecture
    /// from `config.json` (data parsed, never run).
    static func readBundle(_ url: URL) throws -> ModelGraph {
        let (zip, weights) = try openBundle(url)
        var config: String?
        if let entry = zip.entry(named: "config.json") {
            let bytes = try bundleMember(zip, entry, url)
            guard let text = String(data: bytes, encoding: .utf8) else {
                throw HDF5Error.badBundle(file: url.path, reason: "config.json is not UTF-8 text")
            }
            config = text
        }
        let image = try bundleMember(zip, weights, url)
        let file = try HDF5File.open(image: image, displayName: "\(url.path) (\(bundleWeights))")
        var graph = try graph(from: contents(of: file), source: url, bundleConfig: config)
        graph.layout = "keras-bundle"
        return graph
    }

    /// Writes a bundle based on `source`: `model.weights.h5` rewritten with
    /// the modified tensors, every other member copied byte for byte, in the
    /// source's member order; read back before the rename.
    static func writeBundle(_ graph: ModelGraph, to url: URL, basedOn source: URL) throws {
        let (zip, weights) = try openBundle(source)
        let modified = graph.tensors.filter(\.isModified)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fairaudit-keras-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let h5 = scratch.appendingPathComponent(bundleWeights)
        try bundleMember(zip, weights, source).write(to: h5)
        let display = "\(url.path) (\(bundleWeights))"
        try rewrite(modified, inFileAt: h5, displayName: display)
        try verify(modified, inFileAt: h5, displayName: display)
        let newWeights = try Data(contentsOf: h5)

        var writer = ZipWriter()
        do {
            for entry in zip.entries {
                if entry.name == bundleWeights && !modified.isEmpty {
                    try writer.add(name: entry.name, data: newWeights, method: entry.method, modTime: entry.modTime,
                                   modDate: entry.modDate, localZip64: entry.localZip64,
                                   versionMadeBy: entry.versionMadeBy, externalAttributes: entry.externalAttributes)
                } else {
                    try writer.copy(entry, from: zip)
                }
            }
        } catch let error as HDF5Error {
            throw error
        } catch {
            throw HDF5Error.writeFailed(file: url.path, object: bundleWeights, reason: "\(error)")
        }
        try AtomicFile.write(to: url, overwrite: true, produce: { tmp in
            try writer.write(to: tmp)
        }, verify: { tmp in
            let back = try readBundle(tmp)
            for t in modified {
                guard let b = back.tensors.first(where: { $0.name == t.name }), try b.rawBytes() == t.rawBytes() else {
                    throw HDF5Error.writeFailed(file: url.path, object: t.name, reason: "read back different values")
                }
            }
        })
    }

    /// A member's bytes, naming the bundle in any error.
    private static func bundleMember(_ zip: ZipArchive, _ entry: ZipEntry, _ url: URL) throws -> Data {
        do { return try zip.data(for: entry) } catch {
            throw HDF5Error.badBundle(file: url.path, reason: "\(error)")
        }
    }
}
