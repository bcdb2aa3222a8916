/// What the Fisher audit could not work with, as one sentence.
public enum FisherError: Error, CustomStringConvertible, Equatable {
    /// The per-group Fisher arrays do not line up with the names and counts.
    case inconsistentFisher(reason: String)
    /// An option out of range or unknown.
    case invalidOption(name: String, reason: String)

    /// The problem as one sentence.
    public var description: String {
        switch self {
        case .inconsistentFisher(let reason): "fisher audit: the per-group Fisher is inconsistent: \(reason)"
        case .invalidOption(let name, let reason): "fisher audit: option \(name) \(reason)"
        }
    }
}
