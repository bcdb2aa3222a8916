import FairAudit
import Foundation

extension HDF5Format {
    /// The weights member of a Keras 3 `.keras` bundle.
    static let bundleWeights = "model.weights.h5"
    /// The largest `config.json` read from a bundle (a model config is kilobytes).
    static let maxConfigBytes = 64 << 20

    /// True when the output `url` should be a `.keras` zip: its name says
    /// `.keras`, or says neither `.keras` nor `.h5`/`.hdf5`. Judged on the
    /// whole name, so a temporary `.out.keras.tmp-…` still counts as `.keras`.
    static func wantsBundle(_ url: URL) -> Bool {
        let name = url.lastPathComponent.lowercased()
        if name.contains(".keras") { return true }
        return !(name.contains(".h5") || name.contains(".hdf5"))
    }

    /// True when `url` is a zip holding `model.weights.h5`.
    static func isBundle(_ url: URL) -> Bool {
        guard let zip = try? ZipArchive(url: url) else { return false }
        return zip.entry(named: bundleWeights) != nil
    }

    /// Opens the bundle's zip and finds its weights member, naming the file in any error.
    private static func bundle(_ url: URL) throws -> (ZipArchive, ZipEntry) {
        do {
            let zip = try ZipArchive(url: url)
            guard let entry = zip.entry(named: bundleWeights) else {
                throw HDF5Error.badBundle(file: url.path, reason: "it has no \(bundleWeights) member")
            }
            return (zip, entry)
        } catch let e as HDF5Error {
            throw e
        } catch {
            throw HDF5Error.badBundle(file: url.path, reason: "\(error)")
        }
    }

    /// Tests only: where extracted weights members go instead of the temporary directory.
    @TaskLocal static var scratchDirectory: URL?

    /// A new unique name in the temporary directory for an extracted weights member.
    private static func scratchURL() -> URL {
        (scratchDirectory ?? FileManager.default.temporaryDirectory).appendingPathComponent(
            "fairaudit-\(UUID().uuidString).h5")
    }

    /// Writes the weights member of the bundle at `source` to the new file
    /// `scratch` (mode 0600) in bounded memory, CRC-checked; a damaged member
    /// names the bundle; a failed write of the scratch file names the output
    /// file when writing (`output` given), else the member being staged.
    private static func extract(
        _ zip: ZipArchive, _ entry: ZipEntry, of source: URL, to scratch: URL, output: URL? = nil
    ) throws {
        do {
            try zip.extract(entry, to: scratch)
        } catch let e as ZipError {
            if case .extractFailed = e {
                if let output {
                    throw HDF5Error.writeFailed(
                        file: output.path, object: bundleWeights, reason: "cannot stage it: \(e)")
                }
                throw HDF5Error.cannotOpen(
                    file: source.path + "/" + bundleWeights, reason: "cannot stage it in the temporary folder: \(e)")
            }
            throw HDF5Error.badBundle(file: source.path, reason: "\(e)")
        }
    }

    /// Opens the weights member of the bundle at `source` from a private
    /// temporary file, probed first when `probe`; the file is unlinked once
    /// libhdf5 and the raw reader hold it open, and on every error.
    private static func openWeights(
        _ zip: ZipArchive, _ entry: ZipEntry, of source: URL, probe: Bool
    ) throws -> HDF5File {
        let inner = source.path + "/" + bundleWeights
        let scratch = scratchURL()
        try extract(zip, entry, of: source, to: scratch)
        defer { unlink(scratch.path) }
        let cleared = probe ? try HDF5Probe.check(.file(scratch, displayName: inner)) : false
        let file = try HDF5File.open(scratch, displayName: inner, holdingDescriptor: true)
        if cleared { file.heapsCheckedElsewhere() }
        return file
    }

    /// Reads a `.keras` bundle: the tensors of its `model.weights.h5`
    /// (extracted to a private temporary file, unlinked once open), the
    /// architecture from its `config.json` (kept as metadata
    /// `bundle@config.json`), and its `metadata.json` as metadata `bundle@metadata.json`.
    static func readBundle(_ url: URL) throws -> ModelGraph {
        let (zip, entry) = try bundle(url)
        var config: String?
        do {
            if let c = zip.entry(named: "config.json") {
                guard c.uncompressedSize <= maxConfigBytes else {
                    throw HDF5Error.badBundle(
                        file: url.path,
                        reason:
                            "its config.json declares \(c.uncompressedSize) bytes, more than the \(maxConfigBytes >> 20) MB a model config may have"
                    )
                }
                config = String(decoding: try zip.data(for: c), as: UTF8.self)
            }
        } catch let e as HDF5Error {
            throw e
        } catch {
            throw HDF5Error.badBundle(file: url.path, reason: "\(error)")
        }
        if let config, (try? JSONSerialization.jsonObject(with: Data(config.utf8))) as? [String: Any] == nil {
            throw HDF5Error.badBundle(file: url.path, reason: "its config.json is not a JSON object")
        }
        let file = try openWeights(zip, entry, of: url, probe: true)
        var graph = try graph(from: contents(of: file), source: url, bundle: true, config: config)
        if let config { graph.metadata.append(("bundle@config.json", config)) }
        if let m = zip.entry(named: "metadata.json"), m.uncompressedSize <= 1 << 20, let d = try? zip.data(for: m) {
            graph.metadata.append(("bundle@metadata.json", String(decoding: d, as: UTF8.self)))
        }
        return graph
    }

    /// Rewrites the modified tensors in the bundle's `model.weights.h5`; to a
    /// `.keras` output, a new zip whose other members are copied byte for
    /// byte (the weights member keeps its place, method, date and mode); to
    /// any other name, the rewritten `model.weights.h5` alone.
    static func writeBundle(_ graph: ModelGraph, to url: URL, basedOn source: URL) throws {
        let (zip, entry) = try bundle(source)
        let modified = graph.tensors.filter(\.isModified)
        let inner = url.path + "/" + bundleWeights
        let scratch = scratchURL()
        defer { unlink(scratch.path) }
        try extract(zip, entry, of: source, to: scratch, output: url)
        try rewrite(modified, inFileAt: scratch, displayName: inner)
        let weights: Data
        do { weights = try Data(contentsOf: scratch) } catch {
            throw HDF5Error.writeFailed(file: url.path, object: bundleWeights, reason: error.localizedDescription)
        }
        guard wantsBundle(url) else {
            return try AtomicFile.write(
                to: url, overwrite: true, produce: { tmp in try weights.write(to: tmp) },
                verify: { tmp in
                    try verify(modified, in: HDF5File.open(tmp, displayName: url.path), displayName: url.path)
                })
        }
        var writer = ZipWriter()
        do {
            for e in zip.entries {
                if e.name == bundleWeights {
                    try writer.add(
                        name: e.name, data: weights, method: e.method, modTime: e.modTime, modDate: e.modDate,
                        localZip64: weights.count > Int(Int32.max), versionMadeBy: e.versionMadeBy,
                        externalAttributes: e.externalAttributes)
                } else {
                    try writer.copy(e, from: zip)
                }
            }
        } catch {
            throw HDF5Error.writeFailed(file: url.path, object: entry.name, reason: "\(error)")
        }
        let bytes = writer.finish()
        try AtomicFile.write(
            to: url, overwrite: true, produce: { tmp in try bytes.write(to: tmp) },
            verify: { tmp in
                let (back, backEntry) = try bundle(tmp)
                try verify(modified, in: openWeights(back, backEntry, of: tmp, probe: false), displayName: inner)
            })
    }
}
