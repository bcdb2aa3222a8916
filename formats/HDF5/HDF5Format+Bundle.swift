import FairAudit
import Foundation

extension HDF5Format {
    /// True when `url` is a zip holding `model.weights.h5`.
    static func isBundle(_ url: URL) -> Bool { false }

    /// Reads a `.keras` bundle.
    static func readBundle(_ url: URL) throws -> ModelGraph {
        throw HDF5Error.badBundle(file: url.path, reason: "zip support not merged yet")
    }

    /// Writes a `.keras` bundle.
    static func writeBundle(_ graph: ModelGraph, to url: URL, basedOn source: URL) throws {
        throw HDF5Error.badBundle(file: source.path, reason: "zip support not merged yet")
    }
}
