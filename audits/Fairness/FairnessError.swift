/// What the fairness audit could not work with, as one sentence.
public enum FairnessError: Error, CustomStringConvertible, Equatable {
    /// Scores, labels and group indices are not the same length.
    case lengthMismatch(scores: Int, labels: Int, groups: Int)
    /// A row's group index points outside the group names.
    case groupOutOfRange(row: Int, index: Int, groupCount: Int)
    /// A label other than 0 or 1.
    case nonBinaryLabel(row: Int, value: Float)
    /// An option out of range.
    case invalidOption(name: String, reason: String)

    /// The problem as one sentence.
    public var description: String {
        switch self {
        case .lengthMismatch(let s, let l, let g):
            "fairness audit: \(s) scores, \(l) labels and \(g) group indices differ in length"
        case .groupOutOfRange(let row, let index, let count):
            "fairness audit: row \(row) has group index \(index), but there are only \(count) groups"
        case .nonBinaryLabel(let row, let value):
            "fairness audit: row \(row) has label \(value), expected 0 or 1"
        case .invalidOption(let name, let reason):
            "fairness audit: option \(name) \(reason)"
        }
    }
}
