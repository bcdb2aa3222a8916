import CHDF5
import FairAudit
import Foundation

/// HDF5 files: Keras full models (`model.save("m.h5")`, Keras 2 and 3),
/// Keras weights files (`save_weights`, `.weights.h5`), PyTorch-style state
/// dicts written with h5py, and Keras 3 `.keras` bundles (a zip holding
/// `config.json` and `model.weights.h5`).
///
/// Tensors are named by dataset path without the leading slash and read
/// lazily; attributes become metadata `path@attribute`. Links leaving the
/// file, external storage, virtual datasets and filter plugins are refused.
public enum HDF5Format: ModelFormat {
    public static let name = "hdf5"
    public static let fileExtensions = ["h5", "hdf5", "keras"]

    /// The HDF5 signature every superblock starts with.
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// True for an HDF5 file (signature at offset 0, or 512, 1024, … after a
    /// user block) or a zip holding `model.weights.h5` (a `.keras` bundle).
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool {
        if prefix.starts(with: signature) { return true }
        if ZipArchive.isZip(prefix) { return isBundle(url) }
        return hasSignatureAfterUserBlock(url)
    }

    /// Reads the file (or the `.keras` bundle) into the common graph.
    public static func read(_ url: URL) throws -> ModelGraph {
        if ZipArchive.isZip(url) {
            return try readBundle(url)
        }
        let cleared = try HDF5Probe.check(.file(url))
        let file = try HDF5File.open(url)
        if cleared { file.heapsCheckedElsewhere() }
        var result = try graph(from: contents(of: file), source: url)
        try applySidecar(to: &result, for: url)
        return result
    }

    /// Writes `graph` to `url`. With an HDF5 `source`, a copy of it with
    /// only the modified tensors rewritten (a `.keras` source gives a `.keras`
    /// zip, or its `model.weights.h5` alone for a `.weights.h5` name). A new
    /// file otherwise, or when the name asks for another Keras form than the
    /// source's, and the architecture is known:
    /// - `*.keras`: a bundle (`config.json`, `metadata.json`, `model.weights.h5`);
    /// - `*.weights.h5`: a Keras 3 weights file (`layers/<name>/vars/<i>`);
    /// - any other name, for a graph in Keras' layout: a legacy full model
    ///   (`model_config`, `model_weights`), as `model.save("m.h5")` writes;
    /// - else one dataset per tensor, named by the tensor (a state dict).
    /// When the graph changed the source's tensors (a new head's shape, layers
    /// cut off), the datasets cannot be rewritten in place: a new file is
    /// made from the graph, see ``writeReshaped(_:to:bundle:)``.
    /// An existing `url` is replaced (the caller checks `--force`); the file
    /// appears only once complete and read back.
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        let name = url.lastPathComponent.lowercased()
        let wantsKeras = name.contains(".keras")
        let wantsWeights = name.contains(".weights.h5")
        if let source, let prefix = try? FormatRegistry.prefix(of: source), (try? reshapes(graph, source)) == true {
            return try writeReshaped(graph, to: url, bundle: ZipArchive.isZip(prefix) && isBundle(source))
        }
        if let source, let prefix = try? FormatRegistry.prefix(of: source) {
            if ZipArchive.isZip(prefix), isBundle(source) {
                if wantsKeras || wantsWeights || graph.layers == nil {
                    return try writeBundle(graph, to: url, basedOn: source)
                }
                return try writeNew(legacyPlan(try KerasExport.make(from: graph)), to: url)
            }
            let otherKerasForm = wantsKeras || (wantsWeights && graph.layout != .keras3Weights && graph.layers != nil)
            if canRead(source, prefix: prefix) && !otherKerasForm {
                return try writeBack(graph, to: url, basedOn: source)
            }
        }
        if wantsKeras {
            do {
                return try writeNewBundle(try KerasExport.make(from: graph), to: url)
            } catch let e as FairAuditError {
                throw HDF5Error.writeFailed(
                    file: url.path, object: "/", reason: "a .keras bundle needs the model's architecture: \(e)")
            }
        }
        if graph.layers != nil && (wantsWeights || isKerasLayout(graph)) {
            let export = try KerasExport.make(from: graph)
            return try writeNew(wantsWeights ? keras3WeightsPlan(export) : legacyPlan(export), to: url)
        }
        try create(graph, at: url)
    }

    /// True when the graph's tensors follow Keras' conventions (a Keras
    /// file, or a graph converted with `--layout keras`), not a state dict's.
    static func isKerasLayout(_ graph: ModelGraph) -> Bool {
        !graph.layout.needsArchitecture
            && (graph.layers ?? []).allSatisfy { $0.kind != .dense || $0.kernelLayout == .inOut }
    }

    /// Looks for the signature at 512, 1024, 2048, … up to the file size.
    private static func hasSignatureAfterUserBlock(_ url: URL) -> Bool {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? h.close() }
        guard let size = try? h.seekToEnd() else { return false }
        var offset: UInt64 = 512
        while offset + 8 <= size {
            guard (try? h.seek(toOffset: offset)) != nil, let bytes = try? h.read(upToCount: 8) else { return false }
            if [UInt8](bytes) == signature { return true }
            offset *= 2
        }
        return false
    }
}

extension HDF5Format {
    /// A `.keras` bundle's member records by name; an HDF5 file as one part
    /// (written back in place, it is byte-identical only as a whole).
    public static func members(of url: URL) throws -> [(name: String, bytes: Data)] {
        ZipArchive.isZip(url) ? try ZipArchive.members(of: url) : [(url.lastPathComponent, try Data(contentsOf: url))]
    }
}
