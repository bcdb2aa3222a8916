import FairAudit
import Foundation

extension HDF5Format {
    /// The config files a Keras 3 weights file (`x.weights.h5`) may have
    /// beside it, in the order they are tried: `x.config.json`, `x.json`,
    /// then `config.json` in the same folder (what unzipping a `.keras` gives).
    static func sidecarCandidates(for url: URL) -> [URL] {
        let dir = url.deletingLastPathComponent()
        let name = url.lastPathComponent
        var stems: [String] = []
        for suffix in [".weights.h5", ".h5", ".hdf5"] where name.hasSuffix(suffix) {
            stems.append(String(name.dropLast(suffix.count)))
            break
        }
        return stems.flatMap {
            [dir.appendingPathComponent($0 + ".config.json"), dir.appendingPathComponent($0 + ".json")]
        }
            + [dir.appendingPathComponent("config.json")]
    }

    /// For a weights-only file, the architecture from a sidecar config when
    /// one exists; the graph notes which file gave it. A sidecar that is
    /// there but does not fit the weights is an error naming it; one with a
    /// layer class fairaudit does not run is reported in `architectureNote`.
    static func applySidecar(to graph: inout ModelGraph, for url: URL) throws {
        guard graph.layers == nil, graph.layout.isKerasWeightsFile else { return }
        for candidate in sidecarCandidates(for: url) where FileManager.default.fileExists(atPath: candidate.path) {
            guard let bytes = FileManager.default.contents(atPath: candidate.path), bytes.count <= 64 << 20,
                let json = String(data: bytes, encoding: .utf8)
            else {
                throw HDF5Error.badBundle(
                    file: candidate.path,
                    reason: "the config beside \(url.lastPathComponent) is not readable UTF-8 text")
            }
            do {
                try KerasConfig.apply(json: json, to: &graph)
            } catch {
                throw FairAuditError.invalidInput(
                    path: candidate.path, reason: "does not describe the weights in \(url.lastPathComponent): \(error)")
            }
            if graph.layers != nil { graph.metadata.append(("architecture_from", candidate.lastPathComponent)) }
            return
        }
    }
}
