import Foundation

extension LabeledData {
    /// Reads a CSV record by record on one thread (``CSVRecordReader``):
    /// the reference the parallel reader is tested against, giving the same
    /// rows and messages as ``loadCSV(from:options:tuning:)``.
    static func loadSequential(from url: URL, options: CSVDataOptions) throws -> (data: LabeledData, skippedRows: Int) {
        let path = url.path
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: path, reason: reason) }
        let source = try openByteSource(url)
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
                features.reserveCapacity(rows * width)
                labels.reserveCapacity(rows)
                rowGroupIDs.reserveCapacity(rows)
                reserved = true
            }
            var emptyGroup = false
            for (k, c) in columns.groups.enumerated() {
                guard let s = reader.string(c) else {
                    throw fail("line \(line), column '\(columns.header[c])': the text is not valid UTF-8")
                }
                if s.isEmpty { emptyGroup = true }
                parts[k] = s
            }
            if emptyGroup {
                skipped += 1
                continue
            }
            var y = Float.nan
            if let c = columns.label {
                guard let labelText = reader.string(c) else {
                    throw fail("line \(line), column '\(columns.header[c])': the text is not valid UTF-8")
                }
                y = try labelCoder?.code(labelText, line: line, path: path) ?? .nan
            }
            for (k, c) in columns.keep.enumerated() {
                guard let s = reader.string(c) else {
                    throw fail("line \(line), column '\(columns.header[c])': the text is not valid UTF-8")
                }
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
                    case .failure(let problem):
                        failed = (c, problem)
                        return
                    }
                }
            }
            if let (c, problem) = failed {
                let cell = reader.bytes[reader.range(c)]
                let place = "line \(line), column '\(columns.header[c])'"
                switch problem {
                case .empty: throw fail("\(place): the feature cell is empty")
                case .notFinite:
                    throw fail("\(place): the feature cell \(CSVCell.quoted(cell)) is not finite (NaN or infinity)")
                case .notANumber:
                    if reader.string(c) == nil { throw fail("\(place): the text is not valid UTF-8") }
                    throw fail("\(place): the feature cell \(CSVCell.quoted(cell)) is not a number")
                }
            }
            labels.append(y)
            let key = parts.count == 1 ? parts[0] : parts.joined(separator: "\u{1F}")
            if let id = groupIDs[key] {
                rowGroupIDs.append(id)
            } else {
                groupIDs[key] = groupParts.count
                rowGroupIDs.append(groupParts.count)
                groupParts.append(parts)
            }
        }
        try labelCoder?.finish(path: path)

        // Sorted group names (by their parts, column by column) for stable output.
        let order = groupParts.indices.sorted { a, b in groupParts[a].lexicographicallyPrecedes(groupParts[b]) }
        var remap = [Int](repeating: 0, count: groupParts.count)
        for (newID, old) in order.enumerated() { remap[old] = newID }
        let names =
            columns.groups.isEmpty ? ["all"] : order.map { groupParts[$0].joined(separator: options.groupSeparator) }
        let rowGroups = rowGroupIDs.map { remap[$0] }
        var data = LabeledData(
            source: path, featureNames: columns.features.map { columns.header[$0] },
            features: features, labels: labels, groupColumns: options.groups,
            groupNames: labels.isEmpty && columns.groups.isEmpty ? [] : names, rowGroups: rowGroups)
        data.kept = zip(columns.keep, kept).map { LabeledData.KeptColumn(name: columns.header[$0], values: $1) }
        return (data, skipped)
    }
}
