import FairAudit
import Foundation

extension FisherPartial {
    /// The partial as the `"fisher"` object of a partial result file:
    ///
    ///     {"kind", "permutations", "seed", "top",
    ///      "tensors": [{"name", "shape"}], "units": [{"name", "tensors": [index]}],
    ///      "groups": [{"name", "rows", "sums"}],
    ///      "null": {"groups": [{"name", "count"}],
    ///               "rounds": [{"rows": [per null group], "sums": [per null group, null for the largest]}]}}
    ///
    /// Every `"sums"` is base64 of the tensors' sums end to end as
    /// little-endian float64, so they read back bit for bit; the seed is a
    /// decimal string.
    public func json(top: Int) -> JSONValue {
        .object([
            ("kind", .string(kind.rawValue)), ("permutations", .int(permutations)), ("seed", .string(String(seed))),
            ("top", .int(top)),
            (
                "tensors",
                .array(
                    zip(tensorNames, shapes).map {
                        .object([("name", .string($0)), ("shape", .array($1.map { .int($0) }))])
                    })
            ),
            (
                "units",
                .array(
                    units.map {
                        .object([("name", .string($0.name)), ("tensors", .array($0.tensors.map { .int($0) }))])
                    })
            ),
            (
                "groups",
                .array(
                    groupNames.indices.map { g in
                        .object([
                            ("name", .string(groupNames[g])), ("rows", .int(counts[g])),
                            ("sums", .string(Self.encode(sums[g]))),
                        ])
                    })
            ),
            (
                "null",
                .object([
                    (
                        "groups",
                        .array(
                            zip(nullNames, nullCounts).map { .object([("name", .string($0)), ("count", .int($1))]) })
                    ),
                    (
                        "rounds",
                        .array(
                            nullRows.indices.map { r in
                                .object([
                                    ("rows", .array(nullRows[r].map { .int($0) })),
                                    ("sums", .array(nullSums[r].map { $0.isEmpty ? .null : .string(Self.encode($0)) })),
                                ])
                            })
                    ),
                ])
            ),
        ])
    }

    /// Reads the `"fisher"` object of a partial (as `JSONSerialization` gives
    /// it); `bad` makes the error naming the file. Returns the partial and `top`.
    public static func read(_ doc: [String: Any], bad: (String) -> Error) throws -> (FisherPartial, Int) {
        func int(_ x: Any?, _ what: String) throws -> Int {
            guard let n = x as? NSNumber, let i = Int(exactly: n.doubleValue) else {
                throw bad("fisher.\(what) is not an integer")
            }
            return i
        }
        guard let kind = (doc["kind"] as? String).flatMap(FisherKind.init(rawValue:)),
            let seedText = doc["seed"] as? String, let seed = UInt64(seedText),
            let tensors = doc["tensors"] as? [[String: Any]], let unitList = doc["units"] as? [[String: Any]],
            let groups = doc["groups"] as? [[String: Any]], let null = doc["null"] as? [String: Any],
            let nullGroups = null["groups"] as? [[String: Any]], let rounds = null["rounds"] as? [[String: Any]]
        else {
            throw bad("has a fisher section without a kind (empirical or model), seed, tensors, units, groups or null")
        }
        let permutations = try int(doc["permutations"], "permutations")
        let top = try int(doc["top"], "top")
        var names: [String] = []
        var shapes: [[Int]] = []
        for (i, t) in tensors.enumerated() {
            guard let name = t["name"] as? String, let shape = t["shape"] as? [Any] else {
                throw bad("fisher.tensors[\(i)] has no name or shape")
            }
            names.append(name)
            shapes.append(try shape.map { try int($0, "tensors[\(i)].shape") })
        }
        let sizes = shapes.map { $0.reduce(1, *) }
        let units = try unitList.enumerated().map { i, u -> FisherUnit in
            guard let name = u["name"] as? String, let idx = u["tensors"] as? [Any] else {
                throw bad("fisher.units[\(i)] has no name or tensors")
            }
            let indices = try idx.map { try int($0, "units[\(i)].tensors") }
            guard indices.allSatisfy({ $0 >= 0 && $0 < names.count }) else {
                throw bad("fisher.units[\(i)] names a tensor outside the list")
            }
            return FisherUnit(name: name, tensors: indices)
        }
        var groupNames: [String] = []
        var counts: [Int] = []
        var sums: [[[Double]]] = []
        for (g, group) in groups.enumerated() {
            guard let name = group["name"] as? String, let text = group["sums"] as? String else {
                throw bad("fisher.groups[\(g)] has no name or sums")
            }
            groupNames.append(name)
            counts.append(try int(group["rows"], "groups[\(g)].rows"))
            sums.append(
                try decode(text, sizes: sizes).orThrow(
                    bad("fisher.groups[\(g)].sums is not base64 float64 sums of the tensors")))
        }
        var nullNames: [String] = []
        var nullCounts: [Int] = []
        for (h, group) in nullGroups.enumerated() {
            guard let name = group["name"] as? String else { throw bad("fisher.null.groups[\(h)] has no name") }
            nullNames.append(name)
            nullCounts.append(try int(group["count"], "null.groups[\(h)].count"))
        }
        guard rounds.count == permutations else {
            throw bad("fisher has \(rounds.count) null rounds, expected \(permutations)")
        }
        var nullRows: [[Int]] = []
        var nullSums: [[[[Double]]]] = []
        for (r, round) in rounds.enumerated() {
            guard let rows = round["rows"] as? [Any], let s = round["sums"] as? [Any],
                rows.count == nullNames.count, s.count == nullNames.count
            else {
                throw bad(
                    "fisher.null.rounds[\(r)] does not give rows and sums for each of the \(nullNames.count) null groups"
                )
            }
            nullRows.append(try rows.map { try int($0, "null.rounds[\(r)].rows") })
            nullSums.append(
                try s.enumerated().map { h, x in
                    guard let text = x as? String else { return [] }
                    return try decode(text, sizes: sizes).orThrow(
                        bad("fisher.null.rounds[\(r)].sums[\(h)] is not base64 float64 sums"))
                })
        }
        guard counts.allSatisfy({ $0 >= 0 }), nullCounts.allSatisfy({ $0 >= 0 }), top >= 0 else {
            throw bad("fisher has a negative row count or top")
        }
        let p = FisherPartial(
            kind: kind, tensorNames: names, shapes: shapes, units: units, permutations: permutations,
            seed: seed, groupNames: groupNames, counts: counts, sums: sums, nullNames: nullNames,
            nullCounts: nullCounts, nullRows: nullRows, nullSums: nullSums)
        return (p, top)
    }

    /// Base64 of the arrays end to end as little-endian float64.
    static func encode(_ arrays: [[Double]]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 * arrays.reduce(0) { $0 + $1.count })
        for a in arrays { for x in a { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } } }
        return Data(bytes).base64EncodedString()
    }

    /// The arrays of `sizes` from ``encode(_:)``'s text; nil when it does not fit.
    static func decode(_ text: String, sizes: [Int]) -> [[Double]]? {
        guard let data = Data(base64Encoded: text), data.count == 8 * sizes.reduce(0, +) else { return nil }
        var out: [[Double]] = []
        var o = 0
        data.withUnsafeBytes { raw in
            for n in sizes {
                out.append(
                    (0..<n).map { i in
                        Double(
                            bitPattern: UInt64(
                                littleEndian: raw.loadUnaligned(fromByteOffset: 8 * (o + i), as: UInt64.self)))
                    })
                o += n
            }
        }
        return out
    }
}

extension Optional {
    /// The value, or `error` thrown.
    fileprivate func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
