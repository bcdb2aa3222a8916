import Foundation

/// Turns label cells into 0/1: 0/1 or true/false by default, or "equals the
/// positive value" when one is named (then the column may hold exactly two values).
struct LabelCoder {
    let positive: String?
    let column: String
    private var seen: [String: Float] = [:]
    private var sawPositive = false

    init(positive: String?, column: String) {
        self.positive = positive
        self.column = column
    }

    /// The 0/1 code of `text` on `line`.
    mutating func code(_ text: String, line: Int, path: String) throws -> Float {
        if let v = seen[text] { return v }
        let v: Float
        if let positive {
            if seen.count == 2 {
                let known = seen.keys.sorted().map { "'\($0)'" }.joined(separator: " and ")
                throw FairAuditError.invalidInput(
                    path: path,
                    reason:
                        "line \(line), column '\(column)': the label '\(text)' is a third value after \(known); a binary label has two"
                )
            }
            v = text == positive ? 1 : 0
            if v == 1 { sawPositive = true }
        } else {
            guard let b = CSVCell.implicitBinary(text) else {
                throw FairAuditError.invalidInput(
                    path: path,
                    reason:
                        "line \(line), column '\(column)': the label '\(text)' is not binary (0/1 or true/false); name the positive value with --positive '\(text)' (or `positive =` in fairaudit.toml) to use other labels"
                )
            }
            v = b
        }
        seen[text] = v
        return v
    }

    /// Checks the named positive value occurred at all.
    func finish(path: String) throws {
        if let positive, !sawPositive, !seen.isEmpty {
            throw FairAuditError.invalidInput(
                path: path,
                reason:
                    "the positive label '\(positive)' never occurs in column '\(column)'")
        }
    }
}
