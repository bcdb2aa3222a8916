import CHDF5
import FairAudit
import Foundation

/// HDF5 files: Keras full models and weights files, PyTorch-style state dicts, `.keras` bundles.
public enum HDF5Format: ModelFormat {
    public static let name = "hdf5"
    public static let fileExtensions = ["h5", "hdf5", "keras"]
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool { false }
    public static func read(_ url: URL) throws -> ModelGraph { throw FairAuditError.unknownFormat(path: url.path) }
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        throw FairAuditError.writeFailed(path: url.path, reason: "not implemented")
    }
}
