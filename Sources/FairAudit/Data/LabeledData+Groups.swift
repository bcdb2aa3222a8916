import Foundation

extension LabeledData {
    /// Throws `invalidInput` naming the data file unless it has at least one
    /// row and at least two groups: every fairness comparison (gaps, ratios,
    /// the Fisher divergence of a group against the rest) needs two groups.
    /// `purpose` completes the message ("a fairness audit", "fix").
    public func requireTwoGroups(for purpose: String) throws {
        guard rowCount > 0 else {
            throw FairAuditError.invalidInput(path: source, reason: "holds no data rows, only a header")
        }
        guard groupNames.count >= 2 else {
            let columns = groupColumns.map { "'\($0)'" }.joined(separator: ", ")
            let only = groupNames.first.map { " ('\($0)')" } ?? ""
            throw FairAuditError.invalidInput(
                path: source,
                reason:
                    "group column \(columns) holds only one group\(only); \(purpose) compares at least two")
        }
    }
}
