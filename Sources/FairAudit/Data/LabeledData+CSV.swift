import Foundation

extension LabeledData {
    /// Reads `groups.csv` or `groups.csv.gz` (gzip found by its magic bytes),
    /// streaming: features go straight into one row-major `[Float]`.
    ///
    /// Rows whose group cell is empty are skipped (see ``loadCSV(from:options:)``
    /// for the count). Group names are sorted; an intersection joins its
    /// parts with `options.groupSeparator` in `options.groups` order.
    public static func load(from url: URL, options: CSVDataOptions) throws -> LabeledData {
        try loadCSV(from: url, options: options).data
    }

    /// Like ``load(from:options:)``, also returning how many rows were
    /// skipped for an empty group cell.
    public static func loadCSV(from url: URL, options: CSVDataOptions) throws -> (data: LabeledData, skippedRows: Int) {
        try loadCSV(source: options.byteSource(url), path: options.standardInput ? "stdin" : url.path, options: options)
    }

    /// Reads the rows of `source` (header first); `path` names it in errors.
    static func loadCSV(source: ByteSource, path: String, options: CSVDataOptions) throws -> (data: LabeledData, skippedRows: Int) {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }
        let reader = CSVRecordReader(source: source, path: path, maxRecordBytes: options.maxLineBytes)
        guard try reader.next() else { throw fail("the file is empty (no header row)") }
        let columns = try CSVColumns(reader: reader, options: options, path: path)
        let width = columns.features.count
        let featureColumns = columns.features
        let fieldCount = columns.header.count

        var features = [Float]()
        var labels = [Float]()
        var rowGroupIDs = [Int]()
        var groupIDs = [String: Int]()
        var groupParts = [[String]]()
        var labelCoder = options.label.map { LabelCoder(positive: options.positive, column: $0) }
        var kept = [[String]](repeating: [], count: columns.keep.count)
        var skipped = 0
        var parts = [String](repeating: "", count: columns.groups.count)
        var reserved = false
        let headerBytes = reader.consumed

        while try reader.next() {
            let line = reader.recordLine
            guard reader.fieldCount == fieldCount else {
                throw fail("line \(line): \(reader.fieldCount) fields, the header has \(fieldCount)")
            }
            if !reserved && labels.count == 256, let total = source.sizeHint {
                // Reserve once from the average record size, so a large file does not double the buffer.
                let perRow = max(1, (reader.consumed - headerBytes) / 256)
                let rows = min(total / perRow + total / perRow / 20 + 64, Int(Int32.max))
                features.reserveCapacity(rows * width); labels.reserveCapacity(rows); rowGroupIDs.reserveCapacity(rows)
                reserved = true
            }
            var emptyGroup = false
            for (k, c) in columns.groups.enumerated() {
                guard let s = reader.string(c) else { throw fail("line \(line), column '\(columns.header[c])': the text is not valid UTF-8") }
                if s.isEmpty { emptyGroup = true }
                parts[k] = s
            }
            if emptyGroup { skipped += 1; continue }
            var y = Float.nan
            if let c = columns.label {
                guard let labelText = reader.string(c) else {
                    throw fail("line \(line), column '\(columns.header[c])': the text is not valid UTF-8")
                }
                y = try labelCoder?.code(labelText, line: line, path: path) ?? .nan
            }
            for (k, c) in columns.keep.enumerated() {
                guard let s = reader.string(c) else { throw fail("line \(line), column '\(columns.header[c])': the text is not valid UTF-8") }
                kept[k].append(s)
            }
            // Parse the feature cells in place; the first failure is reported after.
            var failed: (column: Int, problem: CSVCell.NumberProblem)?
            let ends = reader.fieldEnds
            reader.bytes.withUnsafeBufferPointer { all in
                guard let base = all.baseAddress else { return }
                for c in featureColumns {
                    let lo = c == 0 ? 0 : ends[c - 1] + 1
                    switch CSVCell.parseFloat(base + lo, count: ends[c] - lo) {
                    case .success(let v): features.append(v)
                    case .failure(let problem): failed = (c, problem); return
                    }
                }
            }
            if let (c, problem) = failed {
                let cell = reader.bytes[reader.range(c)]
                let where_ = "line \(line), column '\(columns.header[c])'"
                switch problem {
                case .empty: throw fail("\(where_): the feature cell is empty")
                case .notFinite: throw fail("\(where_): the feature cell \(CSVCell.quoted(cell)) is not finite (NaN or infinity)")
                case .notANumber:
                    if reader.string(c) == nil { throw fail("\(where_): the text is not valid UTF-8") }
                    throw fail("\(where_): the feature cell \(CSVCell.quoted(cell)) is not a number")
                }
            }
            labels.append(y)
            let key = parts.count == 1 ? parts[0] : parts.joined(separator: "\u{1F}")
            if let id = groupIDs[key] { rowGroupIDs.append(id) } else {
                groupIDs[key] = groupParts.count
                rowGroupIDs.append(groupParts.count)
                groupParts.append(parts)
            }
        }
        if !options.partOfStream { try labelCoder?.finish(path: path) }

        // Sorted group names (by their parts, column by column) for stable output.
        let order = groupParts.indices.sorted { a, b in groupParts[a].lexicographicallyPrecedes(groupParts[b]) }
        var remap = [Int](repeating: 0, count: groupParts.count)
        for (newID, old) in order.enumerated() { remap[old] = newID }
        let names = columns.groups.isEmpty ? ["all"] : order.map { groupParts[$0].joined(separator: options.groupSeparator) }
        let rowGroups = rowGroupIDs.map { remap[$0] }
        var data = LabeledData(source: path, featureNames: columns.features.map { columns.header[$0] },
                               features: features, labels: labels, groupColumns: options.groups,
                               groupNames: labels.isEmpty && columns.groups.isEmpty ? [] : names, rowGroups: rowGroups)
        data.kept = zip(columns.keep, kept).map { LabeledData.KeptColumn(name: columns.header[$0], values: $1) }
        return (data, skipped)
    }
}

/// The header resolved against the options: which field is what.
struct CSVColumns {
    let header: [String]
    let label: Int?
    let groups: [Int]
    let keep: [Int]
    let features: [Int]

    init(reader: CSVRecordReader, options: CSVDataOptions, path: String) throws {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }
        var names = [String]()
        for i in 0..<reader.fieldCount {
            guard var s = reader.string(i) else { throw fail("line 1: the header is not valid UTF-8") }
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
            let shown = used.count > 10 ? used.prefix(3).joined(separator: ", ") + ", …, " + used.suffix(5).joined(separator: ", ")
                                        : used.joined(separator: ", ")
            let how = options.features != nil ? "the --features list" : "every column but the label, groups and ignored ones"
            throw fail("the data has \(features.count) feature columns (\(shown): \(how)) but the model takes \(expected) inputs; "
                       + "leave columns out with --ignore COL, or name the model's inputs in order with --features a,b,c")
        }
    }
}
