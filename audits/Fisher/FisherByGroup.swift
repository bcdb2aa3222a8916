import FairAudit

/// Each group's raw diagonal Fisher, `values[group][tensor][element]`
/// (docs/method.md §1), with the tensors' names and shapes and the rows
/// behind each group.
public struct FisherByGroup: Sendable {
    /// Parameter tensor names, in model order.
    public var tensorNames: [String]
    /// Each tensor's shape (C order), for multi-indices.
    public var shapes: [[Int]]
    /// Group names.
    public var groupNames: [String]
    /// Rows behind each group's Fisher.
    public var counts: [Int]
    /// `F_g[T][i] = (1/N_g) Σ_{n∈D_g} (∂ℓ_n/∂θ_i)²`.
    public var values: [[[Double]]]

    /// Creates the table from float32 Fisher; fails when the arrays do not line up.
    public init(
        tensorNames: [String], shapes: [[Int]], groupNames: [String], counts: [Int],
        values: [[[Float]]]
    ) throws {
        try self.init(
            tensorNames: tensorNames, shapes: shapes, groupNames: groupNames, counts: counts,
            means: values.map { $0.map { $0.map(Double.init) } })
    }

    /// Creates the table from Fisher in double precision; fails when the arrays do not line up.
    public init(
        tensorNames: [String], shapes: [[Int]], groupNames: [String], counts: [Int],
        means values: [[[Double]]]
    ) throws {
        self.tensorNames = tensorNames
        self.shapes = shapes
        self.groupNames = groupNames
        self.counts = counts
        self.values = values
        try Self.check(values, tensorSizes: shapes.map { $0.reduce(1, *) }, groups: groupNames.count)
        guard shapes.count == tensorNames.count else {
            throw FisherError.inconsistentFisher(reason: "\(tensorNames.count) tensor names but \(shapes.count) shapes")
        }
        guard counts.count == groupNames.count, counts.allSatisfy({ $0 >= 0 }) else {
            throw FisherError.inconsistentFisher(reason: "\(groupNames.count) groups but counts \(counts)")
        }
    }

    /// Checks that `values` has `groups` groups of tensors of `tensorSizes` elements.
    static func check<T>(_ values: [[[T]]], tensorSizes: [Int], groups: Int) throws {
        guard values.count == groups else {
            throw FisherError.inconsistentFisher(reason: "\(values.count) groups of values for \(groups) group names")
        }
        for (g, tensors) in values.enumerated() {
            guard tensors.count == tensorSizes.count else {
                throw FisherError.inconsistentFisher(
                    reason: "group \(g) has \(tensors.count) tensors, expected \(tensorSizes.count)")
            }
            for (t, v) in tensors.enumerated() where v.count != tensorSizes[t] {
                throw FisherError.inconsistentFisher(
                    reason: "group \(g) tensor \(t) has \(v.count) values, expected \(tensorSizes[t])")
            }
        }
    }

    /// Group g's Fisher over `tensors` laid end to end.
    static func joined(_ g: Int, values: [[[Double]]], tensors: [Int]) -> [Double] {
        if tensors.count == 1 { return values[g][tensors[0]] }
        return tensors.flatMap { values[g][$0] }
    }
}

/// A set of tensors compared as one distribution: one tensor, or a layer's tensors end to end.
public struct FisherUnit: Sendable, Equatable {
    /// The tensor's or layer's name.
    public var name: String
    /// Indices into `FisherByGroup.tensorNames`.
    public var tensors: [Int]

    /// Creates a unit.
    public init(name: String, tensors: [Int]) {
        self.name = name
        self.tensors = tensors
    }

    /// One unit per tensor.
    public static func tensors(_ names: [String]) -> [FisherUnit] {
        names.enumerated().map { FisherUnit(name: $1, tensors: [$0]) }
    }

    /// One unit per layer: from `layers` (each layer's `weights`) when known,
    /// otherwise by name prefix (the name without its last `/` or `.`
    /// component, and without a trailing `/vars`), in first-seen order.
    public static func layers(_ names: [String], layers: [Layer]?) -> [FisherUnit] {
        var order: [String] = []
        var members: [String: [Int]] = [:]
        let owner: [String: String] = Dictionary(
            (layers ?? []).flatMap { l in l.weights.values.map { ($0, l.name) } }, uniquingKeysWith: { a, _ in a })
        for (i, n) in names.enumerated() {
            let key = owner[n] ?? prefix(of: n)
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(i)
        }
        return order.map { FisherUnit(name: $0, tensors: members[$0] ?? []) }
    }

    /// `dense/kernel:0` → `dense`, `net.0.weight` → `net.0`, `layers/dense/vars/0` → `layers/dense`.
    static func prefix(of name: String) -> String {
        guard let cut = name.lastIndex(where: { $0 == "/" || $0 == "." }) else { return name }
        var p = String(name[..<cut])
        if p.hasSuffix("/vars") { p.removeLast(5) }
        return p.isEmpty ? name : p
    }
}
