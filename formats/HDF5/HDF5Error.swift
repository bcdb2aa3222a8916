import Foundation

/// What went wrong reading or writing an HDF5 file, as one sentence naming
/// the file and, where there is one, the dataset, link or member.
public enum HDF5Error: Error, CustomStringConvertible, Equatable {
    /// libhdf5 could not open the file (truncated, corrupt, not HDF5).
    case cannotOpen(file: String, reason: String)
    /// A link that leaves the file (external or user-defined) was found.
    case unsafeLink(file: String, link: String, kind: String)
    /// A dataset keeps its values in other files (external storage or a virtual layout).
    case externalData(file: String, dataset: String, kind: String)
    /// A dataset declares more bytes than the file could plausibly hold.
    case absurdSize(file: String, dataset: String, declared: Int, limit: Int)
    /// A dataset's element type is not one fairaudit reads as a tensor.
    case unsupportedType(file: String, dataset: String, type: String)
    /// libhdf5 failed reading a dataset or attribute.
    case readFailed(file: String, object: String, reason: String)
    /// The file has more objects or deeper groups than fairaudit walks.
    case tooComplex(file: String, reason: String)
    /// A Keras attribute names a weight dataset that is not in the file.
    case missingWeight(file: String, layer: String, dataset: String)
    /// A dataset that Keras lists as a weight holds strings or another non-numeric type.
    case notAWeight(file: String, dataset: String, type: String)
    /// The model config and the weights disagree (shape, count, structure).
    case configMismatch(file: String, reason: String)
    /// Writing the file failed.
    case writeFailed(file: String, object: String, reason: String)
    /// The `.keras` zip is malformed or lacks a member.
    case badBundle(file: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let f, let r): "\(f): cannot open as HDF5: \(r)"
        case .unsafeLink(let f, let l, let k):
            "\(f): refusing the \(k) link '\(l)', which points outside the file"
        case .externalData(let f, let d, let k): "\(f): refusing dataset '\(d)', whose values are in \(k)"
        case .absurdSize(let f, let d, let n, let l):
            "\(f): refusing dataset '\(d)', which declares \(n) bytes, more than the \(l) bytes the file can hold"
        case .unsupportedType(let f, let d, let t): "\(f): dataset '\(d)' has an unsupported element type (\(t))"
        case .readFailed(let f, let o, let r): "\(f): could not read '\(o)': \(r)"
        case .tooComplex(let f, let r): "\(f): \(r)"
        case .missingWeight(let f, let l, let d):
            "\(f): layer '\(l)' names weight dataset '\(d)', which the file does not have"
        case .notAWeight(let f, let d, let t): "\(f): dataset '\(d)' is listed as a weight but holds \(t), not numbers"
        case .configMismatch(let f, let r): "\(f): the model config does not match the weights: \(r)"
        case .writeFailed(let f, let o, let r): "\(f): could not write '\(o)': \(r)"
        case .badBundle(let f, let r): "\(f): not a usable .keras bundle: \(r)"
        }
    }
}
