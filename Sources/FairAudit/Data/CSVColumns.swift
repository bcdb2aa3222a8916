import Foundation

/// The header resolved against the options: which field is what.
struct CSVColumns {
    let header: [String]
    let label: Int?
    let groups: [Int]
    let keep: [Int]
    let features: [Int]

    init(reader: CSVRecordReader, options: CSVDataOptions, path: String) throws {
        try self.init(fieldCount: reader.fieldCount, field: { reader.string($0) }, options: options, path: path)
    }

    /// Resolves the header's `fieldCount` fields (`field(i)`: nil when not UTF-8).
    init(fieldCount: Int, field: (Int) -> String?, options: CSVDataOptions, path: String) throws {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }
        var names = [String]()
        for i in 0..<fieldCount {
            guard var s = field(i) else { throw fail("line 1: the header is not valid UTF-8") }
            if i == 0 && s.hasPrefix("\u{FEFF}") { s.removeFirst() }
            names.append(s)
        }
        var index = [String: Int]()
        for (i, n) in names.enumerated() {
            if index[n] != nil { throw fail("line 1: the column name '\(n)' appears twice in the header") }
            index[n] = i
        }
        func find(_ name: String, _ role: String) throws -> Int {
            guard let i = index[name] else { throw fail("line 1: there is no \(role) column '\(name)' in the header") }
            return i
        }
        header = names
        label = try options.label.map { try find($0, "label") }
        keep = try options.keep.map { try find($0, "kept") }
        groups = try options.groups.map { try find($0, "group") }
        let ignored = try options.ignore.map { try find($0, "ignored") }
        if let explicit = options.features {
            features = try explicit.map { try find($0, "feature") }
        } else {
            let excluded = Set([label].compactMap { $0 } + groups + ignored)
            features = names.indices.filter { !excluded.contains($0) }
        }
        for f in features where f == label || groups.contains(f) {
            throw fail("line 1: column '\(names[f])' cannot be both a feature and the label or a group")
        }
        if let expected = options.expectedFeatureCount, expected != features.count {
            let used = features.map { names[$0] }
            let shown =
                used.count > 10
                ? used.prefix(3).joined(separator: ", ") + ", …, " + used.suffix(5).joined(separator: ", ")
                : used.joined(separator: ", ")
            let how =
                options.features != nil ? "the --features list" : "every column but the label, groups and ignored ones"
            throw fail(
                "the data has \(features.count) feature columns (\(shown): \(how)) but the model takes \(expected) inputs; "
                    + "leave columns out with --ignore COL, or name the model's inputs in order with --features a,b,c")
        }
    }
}
