import FairAudit
import Foundation

/// NumPy `.npz` archives and bare `.npy` files.
public enum NPZFormat: ModelFormat {
    public static let name = "npz"
    public static let fileExtensions = ["npz", "npy"]
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool { false }
    public static func read(_ url: URL) throws -> ModelGraph { throw FairAuditError.unknownFormat(path: url.path) }
    public static func write(_ graph: ModelGraph, to url: URL, basedOn source: URL?) throws {
        throw FairAuditError.writeFailed(path: url.path, reason: "not implemented")
    }
}
