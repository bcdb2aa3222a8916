import Foundation

/// Joins parsed chunks, in file order, into one data set: features appended
/// to one row-major array, chunk-local group and label ids mapped to global
/// ones (each distinct value decoded once per chunk), labels coded to 0/1.
struct CSVRowsBuilder {
    let layout: CSVLayout
    private(set) var features: [Float] = []
    private(set) var labels: [Float] = []
    private(set) var rowGroupIDs: [Int] = []
    private var groupKeys = ByteInterner()
    private var groupParts: [[String]] = []
    private var labelCoder: LabelCoder?
    private var kept: [[String]]
    private(set) var skipped = 0
    /// Rows appended or decoded.
    private(set) var rowCount = 0
    /// False when the features go elsewhere (``LabeledData/streamCSV(from:options:tuning:consume:)``).
    var keepsFeatures = true
    /// Set by ``finish(options:)``: each group's id in order of first appearance → its index in the sorted names.
    private(set) var groupOrder: [Int] = []

    init(layout: CSVLayout, options: CSVDataOptions) {
        self.layout = layout
        labelCoder = options.label.map { LabelCoder(positive: options.positive, column: $0) }
        kept = Array(repeating: [], count: layout.columns.keep.count)
    }

    /// Reserves room for about `rows` rows.
    mutating func reserve(rows: Int) {
        if keepsFeatures { features.reserveCapacity(rows * layout.width) }
        labels.reserveCapacity(rows)
        rowGroupIDs.reserveCapacity(rows)
    }

    /// The 0/1 code of each of `chunk`'s label ids, coded in order of first
    /// appearance (so a third label value is named on the line it first occurs).
    mutating func labelCodes(_ chunk: CSVChunk, lineBase: Int) throws -> [Float] {
        guard var coder = labelCoder else { return [] }
        defer { labelCoder = coder }
        return try (0..<chunk.labels.count).map { id in
            try coder.code(chunk.labels.string(id) ?? "", line: lineBase + chunk.labelLines[id] + 1, path: layout.path)
        }
    }

    /// The global group id of each of `chunk`'s group ids.
    mutating func groupIDs(_ chunk: CSVChunk) -> [Int] {
        (0..<chunk.groups.count).map { id in
            let key = chunk.groups.bytes(id)
            let (global, isNew) = groupKeys.intern(key)
            if isNew { groupParts.append(parts(of: key)) }
            return global
        }
    }

    /// The cells of a group key (see ``CSVChunk/groups``).
    private func parts(of key: ArraySlice<UInt8>) -> [String] {
        let count = layout.columns.groups.count
        if count == 1 { return [String(decoding: key, as: UTF8.self)] }
        var out: [String] = []
        var i = key.startIndex
        while out.count < count && i + 4 <= key.endIndex {
            let n = Int(key[i]) | Int(key[i + 1]) << 8 | Int(key[i + 2]) << 16 | Int(key[i + 3]) << 24
            out.append(String(decoding: key[(i + 4)..<(i + 4 + n)], as: UTF8.self))
            i += 4 + n
        }
        return out
    }

    /// Appends the rows of `chunk`, which starts after `lineBase` line ends.
    mutating func append(_ chunk: CSVChunk, lineBase: Int) throws {
        let codes = try labelCodes(chunk, lineBase: lineBase)
        if chunk.failure != nil { return }
        let groups = groupIDs(chunk)
        if keepsFeatures {
            features.append(contentsOf: UnsafeBufferPointer(start: chunk.features, count: chunk.rows * layout.width))
        }
        labels.append(contentsOf: chunk.labelIDs.lazy.map { $0 >= 0 ? codes[Int($0)] : .nan })
        rowGroupIDs.append(contentsOf: chunk.groupIDs.lazy.map { groups[Int($0)] })
        for k in kept.indices { kept[k].append(contentsOf: chunk.kept[k]) }
        skipped += chunk.skipped
        rowCount += chunk.rows
    }

    /// The labels, groups (ids in order of first appearance) and kept cells
    /// of `chunk`'s rows, counted but not kept (for a fold); nil when the
    /// chunk holds a bad record.
    mutating func decode(_ chunk: CSVChunk, lineBase: Int) throws -> (labels: [Float], groups: [Int], kept: [[String]])?
    {
        let codes = try labelCodes(chunk, lineBase: lineBase)
        if chunk.failure != nil { return nil }
        let groups = groupIDs(chunk)
        skipped += chunk.skipped
        rowCount += chunk.rows
        return (
            chunk.labelIDs.map { $0 >= 0 ? codes[Int($0)] : .nan }, chunk.groupIDs.map { groups[Int($0)] }, chunk.kept
        )
    }

    /// The data set: group names sorted by their parts, column by column.
    mutating func finish(options: CSVDataOptions) throws -> LabeledData {
        if !options.partOfStream { try labelCoder?.finish(path: layout.path) }
        let columns = layout.columns
        let order = groupParts.indices.sorted { a, b in groupParts[a].lexicographicallyPrecedes(groupParts[b]) }
        var remap = [Int](repeating: 0, count: groupParts.count)
        for (newID, old) in order.enumerated() { remap[old] = newID }
        let names =
            columns.groups.isEmpty ? ["all"] : order.map { groupParts[$0].joined(separator: options.groupSeparator) }
        var data = LabeledData(
            source: layout.path, featureNames: columns.features.map { columns.header[$0] },
            features: features, labels: labels, groupColumns: options.groups,
            groupNames: rowCount == 0 && columns.groups.isEmpty ? [] : names,
            rowGroups: [])
        if labels.count != rowCount { data.foldedRows = rowCount }
        groupOrder = remap
        // Remapped in place and moved, so the largest array is never held twice.
        rowGroupIDs.withUnsafeMutableBufferPointer { ids in
            for i in ids.indices { ids[i] = remap[ids[i]] }
        }
        swap(&data.rowGroups, &rowGroupIDs)
        data.kept = zip(columns.keep, kept).map { LabeledData.KeptColumn(name: columns.header[$0], values: $1) }
        return data
    }
}
