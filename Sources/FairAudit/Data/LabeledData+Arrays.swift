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
    public static func fromArrays(_ arrays: [String: DataArray], source: String, options: CSVDataOptions,
                                  inputs: [(name: String, shape: [Int])]) throws -> LabeledData {
        func fail(_ reason: String) -> FairAuditError { .invalidInput(path: source, reason: reason) }
        var blocks: [(name: String, values: [Float], width: Int)] = []
        var rows: Int?
        for (name, shape) in inputs {
            let key = arrays[name] != nil || inputs.count > 1 ? name : "x"
            guard let a = arrays[key] else {
                throw fail("has no array '\(name)'\(inputs.count == 1 ? " (or 'x')" : "") for the model input of that name; it holds \(arrays.keys.sorted())")
            }
            guard let values = a.floats ?? a.numbers.map({ $0.map(Float.init) }) else {
                throw fail("array '\(key)' holds strings; a model input needs numbers")
            }
            let width = shape.reduce(1, *)
            guard let n = a.shape.first, a.shape.dropFirst().reduce(1, *) == width else {
                throw fail("array '\(key)' has shape \(a.shape); the model input '\(name)' takes (N, \(shape.map(String.init).joined(separator: ", ")))")
            }
            if let rows, rows != n { throw fail("array '\(key)' has \(n) rows, the others \(rows)") }
            rows = n
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw fail("array '\(key)' holds \(values[bad]) at row \(bad / max(width, 1) + 1), column \(bad % max(width, 1) + 1)")
            }
            blocks.append((key, values, width))
        }
        let n = rows ?? 0
        func column(_ name: String, _ what: String) throws -> DataArray {
            guard let a = arrays[name] else { throw fail("has no \(what) array '\(name)'; it holds \(arrays.keys.sorted())") }
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
        var groupIDs: [String: Int] = [:], groupNames: [String] = [], rowGroups: [Int] = []
        for r in 0..<(groupArrays.isEmpty ? 0 : n) {
            let name = groupArrays.map { $0.text(r) }.joined(separator: options.groupSeparator)
            if groupIDs[name] == nil { groupIDs[name] = groupNames.count; groupNames.append(name) }
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
        let names = blocks.flatMap { b in b.width == 1 ? [b.name] : (0..<b.width).map { $0 == 0 ? b.name : "\(b.name)_\($0)" } }
        return LabeledData(source: source, featureNames: names, features: features, labels: labels,
                           groupColumns: options.groups, groupNames: groupNames, rowGroups: rowGroups)
    }
}
