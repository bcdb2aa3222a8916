import Foundation

/// What each field of a record is for, laid out for the parsing loops: the
/// header resolved against the options (``CSVColumns``) plus, per field, its
/// slot in the row of features (or -1).
final class CSVLayout: @unchecked Sendable {
    let columns: CSVColumns
    let path: String
    let maxRecordBytes: Int
    /// Fields per record (the header's count).
    let fieldCount: Int
    /// Features per row.
    let width: Int
    /// Per field: its index in the row of features, or -1. Allocated once, read-only.
    let slots: UnsafeMutablePointer<Int32>
    /// Per field: whether its text is needed (group part, label or kept).
    let isText: UnsafeMutablePointer<Bool>

    init(columns: CSVColumns, path: String, maxRecordBytes: Int) {
        self.columns = columns
        self.path = path
        self.maxRecordBytes = maxRecordBytes
        fieldCount = columns.header.count
        width = columns.features.count
        slots = .allocate(capacity: max(fieldCount, 1))
        slots.initialize(repeating: -1, count: max(fieldCount, 1))
        isText = .allocate(capacity: max(fieldCount, 1))
        isText.initialize(repeating: false, count: max(fieldCount, 1))
        for (slot, c) in columns.features.enumerated() { slots[c] = Int32(slot) }
        for c in columns.groups + columns.keep + [columns.label].compactMap({ $0 }) { isText[c] = true }
    }

    deinit {
        slots.deallocate()
        isText.deallocate()
    }

    /// The error for `reason` about this file.
    func fail(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }

    /// `line N, column 'name'` for messages.
    func place(_ line: Int, _ column: Int) -> String { "line \(line), column '\(columns.header[column])'" }
}
