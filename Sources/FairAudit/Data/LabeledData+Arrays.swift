import Foundation

/// One named array of a data file (an `.npz` member): numbers, or text
/// (numpy's `<U…`/`|S…` strings), C order.
public struct DataArray: Sendable, Equatable {
    /// The array's shape, rows first.
    public var shape: [Int]
    /// The values of a numeric or bool array.
    public var numbers: [Double]?
    /// The values of a numeric array kept as `Float` (model inputs: half the
    /// memory of `numbers`, and what the network reads).
    public var floats: [Float]?
    /// The values of a string array.
    public var strings: [String]?

    /// Creates an array; exactly one of `numbers`, `floats` and `strings` is given.
    public init(shape: [Int], numbers: [Double]? = nil, floats: [Float]? = nil, strings: [String]? = nil) {
        self.shape = shape
        self.numbers = numbers
        self.floats = floats
        self.strings = strings
    }

    /// The value at `i` as text (`1` for 1.0, as a CSV cell would read).
    func text(_ i: Int) -> String {
        if let strings { return strings[i] }
        let v = numbers?[i] ?? floats.map { Double($0[i]) } ?? .nan
        return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}

extension LabeledData {
    /// Rows from named arrays (an `.npz`): the model input `inputs[k]` is
    /// the array of its name — or `x` for a single input — shaped
    /// `(N, …)` with the input's per-sample size; the label and each group
    /// are 1-D arrays of length N named by `options.label`/`options.groups`,
    /// numeric, bool or strings. Features are the inputs side by side, row by row.
    public static func fromArrays(
        _ arrays: [String: DataArray], source: String, options: CSVDataOptions,
        inputs: [(name: String, shape: [Int])]
    ) throws -> LabeledData {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: source, reason: reason) }
        var blocks: [(name: String, values: [Float], width: Int)] = []
        var rows: Int?
        for (name, shape) in inputs {
            let key = arrays[name] != nil || inputs.count > 1 ? name : "x"
            guard let a = arrays[key] else {
                throw fail(
                    "has no array '\(name)'\(inputs.count == 1 ? " (or 'x')" : "") for the model input of that name; it holds \(arrays.keys.sorted())"
                )
            }
            guard let values = a.floats ?? a.numbers.map({ $0.map(Float.init) }) else {
                throw fail("array '\(key)' holds strings; a model input needs numbers")
            }
            let width = shape.reduce(1, *)
            guard let n = a.shape.first, a.shape.dropFirst().reduce(1, *) == width else {
                throw fail(
                    "array '\(key)' has shape \(a.shape); the model input '\(name)' takes (N, \(shape.map(String.init).joined(separator: ", ")))"
                )
            }
            if let rows, rows != n { throw fail("array '\(key)' has \(n) rows, the others \(rows)") }
            rows = n
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw fail(
                    "array '\(key)' holds \(values[bad]) at row \(bad / max(width, 1) + 1), column "
                        + "\(bad % max(width, 1) + 1)"
                )
            }
            blocks.append((key, values, width))
        }
        let n = rows ?? 0
        func column(_ name: String, _ what: String) throws -> DataArray {
            guard let a = arrays[name] else {
                throw fail("has no \(what) array '\(name)'; it holds \(arrays.keys.sorted())")
            }
            guard a.shape == [n] else { throw fail("\(what) array '\(name)' has shape \(a.shape), expected (\(n),)") }
            return a
        }
        var labels = [Float](repeating: 0, count: n)  // scoring only: no label, every row kept
        if let label = options.label {
            var coder = LabelCoder(positive: options.positive, column: label)
            let a = try column(label, "label")
            labels = try (0..<n).map { try coder.code(a.text($0), line: $0 + 1, path: source) }
            try coder.finish(path: source)
        }
        let groupArrays = try options.groups.map { try column($0, "group") }
        var groupIDs: [String: Int] = [:]
        var groupNames: [String] = []
        var rowGroups: [Int] = []
        for r in 0..<(groupArrays.isEmpty ? 0 : n) {
            let name = groupArrays.map { $0.text(r) }.joined(separator: options.groupSeparator)
            if groupIDs[name] == nil {
                groupIDs[name] = groupNames.count
                groupNames.append(name)
            }
            rowGroups.append(groupIDs[name] ?? 0)
        }
        let width = blocks.reduce(0) { $0 + $1.width }
        var features: [Float]
        if blocks.count == 1, let only = blocks.first {
            features = only.values  // one input: its rows are the features, shared, not copied
        } else {
            features = [Float](repeating: 0, count: n * width)
            var offset = 0
            for b in blocks {
                for r in 0..<n { for j in 0..<b.width { features[r * width + offset + j] = b.values[r * b.width + j] } }
                offset += b.width
            }
        }
        let names = blocks.flatMap { b in
            b.width == 1 ? [b.name] : (0..<b.width).map { $0 == 0 ? b.name : "\(b.name)_\($0)" }
        }
        return LabeledData(
            source: source, featureNames: names, features: features, labels: labels,
            groupColumns: options.groups, groupNames: groupNames, rowGroups: rowGroups)
    }
}

/// Where a fold over named arrays takes its rows: each array's shape and
/// kind, and the next rows of an array on demand.
public struct ArraySource {
    /// Every array's name (for messages).
    public var names: [String]
    /// An array's shape, nil when there is none of that name.
    public var shape: (String) -> [Int]?
    /// True when the array holds strings.
    public var holdsStrings: (String) -> Bool
    /// The next `rows` rows of an array (shape `(rows, …)`), in order.
    public var next: (_ name: String, _ rows: Int) throws -> DataArray

    /// Creates a source.
    public init(
        names: [String], shape: @escaping (String) -> [Int]?, holdsStrings: @escaping (String) -> Bool,
        next: @escaping (String, Int) throws -> DataArray
    ) {
        self.names = names
        self.shape = shape
        self.holdsStrings = holdsStrings
        self.next = next
    }

    /// Arrays already in memory, handed out a run of rows at a time.
    public static func whole(_ arrays: [String: DataArray]) -> ArraySource {
        var read: [String: Int] = [:]
        return ArraySource(
            names: Array(arrays.keys), shape: { arrays[$0]?.shape }, holdsStrings: { arrays[$0]?.strings != nil },
            next: { name, rows in
                guard let a = arrays[name] else { return DataArray(shape: [rows]) }
                let first = read[name, default: 0]
                let per = a.shape.dropFirst().reduce(1, *)
                read[name] = first + rows
                if first == 0 && rows == a.shape.first { return a }
                let r = (first * per)..<((first + rows) * per)
                return DataArray(
                    shape: [rows] + a.shape.dropFirst(), numbers: a.numbers.map { Array($0[r]) },
                    floats: a.floats.map { Array($0[r]) }, strings: a.strings.map { Array($0[r]) })
            })
    }
}

extension LabeledData {
    /// Reads the rows of named arrays (as ``fromArrays(_:source:options:inputs:)``
    /// lays them out, checks them and names their groups) `chunkRows` rows at
    /// a time from `arrays`, handing each run to `body` and keeping none:
    /// the result holds the names, the groups and the row count.
    public static func foldArrays(
        _ arrays: ArraySource, source: String, options: CSVDataOptions,
        inputs: [(name: String, shape: [Int])], chunkRows: Int,
        body: (RowChunk) throws -> Void
    ) throws -> FoldedData {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: source, reason: reason) }
        var blocks: [(name: String, width: Int)] = []
        var rows: Int?
        for (name, shape) in inputs {
            let key = arrays.shape(name) != nil || inputs.count > 1 ? name : "x"
            guard let aShape = arrays.shape(key) else {
                throw fail(
                    "has no array '\(name)'\(inputs.count == 1 ? " (or 'x')" : "") for the model input of that name; it holds \(arrays.names.sorted())"
                )
            }
            guard !arrays.holdsStrings(key) else {
                throw fail("array '\(key)' holds strings; a model input needs numbers")
            }
            let width = shape.reduce(1, *)
            guard let n = aShape.first, aShape.dropFirst().reduce(1, *) == width else {
                throw fail(
                    "array '\(key)' has shape \(aShape); the model input '\(name)' takes (N, \(shape.map(String.init).joined(separator: ", ")))"
                )
            }
            if let rows, rows != n { throw fail("array '\(key)' has \(n) rows, the others \(rows)") }
            rows = n
            blocks.append((key, width))
        }
        let n = rows ?? 0
        func column(_ name: String, _ what: String) throws -> String {
            guard let shape = arrays.shape(name) else {
                throw fail("has no \(what) array '\(name)'; it holds \(arrays.names.sorted())")
            }
            guard shape == [n] else { throw fail("\(what) array '\(name)' has shape \(shape), expected (\(n),)") }
            return name
        }
        let labelArray = try options.label.map { try column($0, "label") }
        var coder = options.label.map { LabelCoder(positive: options.positive, column: $0) }
        let groupArrays = try options.groups.map { try column($0, "group") }
        var groupIDs: [String: Int] = [:]
        var groupNames: [String] = []
        let width = blocks.reduce(0) { $0 + $1.width }
        var first = 0
        while first < n {
            let count = min(max(chunkRows, 1), n - first)
            var features = [Float](repeating: 0, count: count * width)
            var offset = 0
            for b in blocks {
                let chunk = try arrays.next(b.name, count)
                let values = chunk.floats.map { $0.map(Double.init) } ?? chunk.numbers ?? []
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw fail(
                        "array '\(b.name)' holds \(values[bad]) at row \(first + bad / max(b.width, 1) + 1), column "
                            + "\(bad % max(b.width, 1) + 1)"
                    )
                }
                features.withUnsafeMutableBufferPointer { f in
                    for r in 0..<count {
                        for j in 0..<b.width { f[r * width + offset + j] = Float(values[r * b.width + j]) }
                    }
                }
                offset += b.width
            }
            var labels = [Float](repeating: 0, count: count)  // scoring only: no label, every row kept
            if let labelArray, var c = coder {
                let a = try arrays.next(labelArray, count)
                labels = try (0..<count).map { try c.code(a.text($0), line: first + $0 + 1, path: source) }
                coder = c
            }
            let parts = try groupArrays.map { try arrays.next($0, count) }
            let groups: [Int] =
                parts.isEmpty
                ? []
                : (0..<count).map { r in
                    let name = parts.map { $0.text(r) }.joined(separator: options.groupSeparator)
                    if let id = groupIDs[name] { return id }
                    groupIDs[name] = groupNames.count
                    groupNames.append(name)
                    return groupNames.count - 1
                }
            try features.withUnsafeBufferPointer { f in
                try body(RowChunk(firstRow: first, rows: count, features: f, labels: labels, groups: groups, kept: []))
            }
            first += count
        }
        try coder?.finish(path: source)
        let names = blocks.flatMap { b in
            b.width == 1 ? [b.name] : (0..<b.width).map { $0 == 0 ? b.name : "\(b.name)_\($0)" }
        }
        var data = LabeledData(
            source: source, featureNames: names, features: [], labels: [],
            groupColumns: options.groups, groupNames: groupNames, rowGroups: [])
        data.foldedRows = n
        return FoldedData(data: data, groupOrder: Array(groupNames.indices), skippedRows: 0)
    }
}
