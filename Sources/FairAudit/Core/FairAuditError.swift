import Foundation

/// What went wrong in the library core, as one sentence that names the file,
/// tensor or column involved.
public enum FairAuditError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(path: String, reason: String)
    case unknownFormat(path: String)
    case truncatedTensor(name: String, expected: Int, found: Int)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case missingTensor(name: String)
    case unsupportedModel(reason: String)
    case invalidInput(path: String, reason: String)
    case outputExists(path: String)
    case writeFailed(path: String, reason: String)
    /// A policy file (`fairaudit.toml`) problem at `line` (0 when not tied to one).
    case policy(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "\(path): cannot read the file: \(reason)"
        case .unknownFormat(let path):
            "\(path): not a format fairaudit reads (looked for HDF5, zip (npz, .keras, torch.save), npy and safetensors headers)"
        case .truncatedTensor(let name, let expected, let found):
            "tensor '\(name)' is truncated: \(expected) bytes declared, \(found) present"
        case .shapeMismatch(let name, let expected, let found):
            "tensor '\(name)' has shape \(found), expected \(expected)"
        case .missingTensor(let name): "the model has no tensor named '\(name)'"
        case .unsupportedModel(let reason): "the model cannot be run: \(reason)"
        case .invalidInput(let path, let reason): "\(path): \(reason)"
        case .outputExists(let path): "\(path): already exists (pass --force to overwrite it)"
        case .writeFailed(let path, let reason): "\(path): could not be written: \(reason)"
        case .policy(let file, let line, let reason): line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
        }
    }
}
