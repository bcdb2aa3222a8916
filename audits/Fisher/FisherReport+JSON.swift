import FairAudit

extension FisherReport {
    /// The report as JSON (stable; CI scripts parse it):
    ///
    ///     {"kind", "permutations", "seed", "min_group_size",
    ///      "groups": [{"name", "count", "compared"}],
    ///      "pairs": [{"groups": [g, h],
    ///                 "tensors": [{"name", "size", "tv", "js", "top1_jaccard",
    ///                              "null_tv_mean", "p_value", "significant"}],
    ///                 "layers": [{same keys, plus "tensors": [names]}]}],
    ///      "vs_rest": [{"groups": [g, "rest"], "tensors": […], "layers": […]}],
    ///      "influential": [{"tensor", "index", "multi_index": [...], "groups": [most, least],
    ///                       "difference", "fisher": {group: P_g[i]}}],
    ///      "saved_fisher": path | null}
    ///
    /// NaN (a tensor without Fisher mass) and absent nulls are `null`.
    public var json: JSONValue {
        let comparedNames = groups.filter(\.compared).map(\.name)
        return .object([
            ("kind", .string(kind.rawValue)),
            ("permutations", .int(permutations)),
            ("seed", .string(String(seed))),
            ("min_group_size", .int(minGroupSize)),
            (
                "groups",
                .array(
                    groups.map {
                        .object([
                            ("name", .string($0.name)), ("count", .int($0.count)), ("compared", .bool($0.compared)),
                        ])
                    })
            ),
            ("pairs", .array(pairs.map(Self.comparisonJSON))),
            ("vs_rest", .array(againstRest.map(Self.comparisonJSON))),
            (
                "influential",
                .array(
                    influential.map { p in
                        .object([
                            ("tensor", .string(p.tensor)), ("index", .int(p.index)),
                            ("multi_index", .array(p.multiIndex.map { .int($0) })),
                            ("groups", .array(p.groups.map { .string($0) })),
                            ("difference", .finite(p.difference)),
                            ("fisher", .object(zip(comparedNames, p.fisher).map { ($0, .finite($1)) })),
                        ])
                    })
            ),
            ("saved_fisher", savedTo.map { .string($0) } ?? .null),
        ])
    }

    static func comparisonJSON(_ c: GroupComparison) -> JSONValue {
        .object([
            ("groups", .array(c.groups.map { .string($0) })),
            ("tensors", .array(c.tensors.map { unitJSON($0, listTensors: false) })),
            ("layers", .array(c.layers.map { unitJSON($0, listTensors: true) })),
        ])
    }

    static func unitJSON(_ u: UnitDivergence, listTensors: Bool) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("name", .string(u.name)), ("size", .int(u.size)), ("tv", .finite(u.tv)), ("js", .finite(u.js)),
            ("top1_jaccard", .finite(u.top1Jaccard)),
            ("null_tv_mean", u.nullTVMean.map { .finite($0) } ?? .null),
            ("p_value", u.pValue.map { .finite($0) } ?? .null),
            ("significant", .bool(u.significant)),
        ]
        if listTensors { fields.append(("tensors", .array(u.tensors.map { .string($0) }))) }
        return .object(fields)
    }

    /// Gate metrics: `fisher_tv_max` and `fisher_js_max` (largest per-tensor
    /// value over all comparisons), `fisher_top1_jaccard_min` (smallest),
    /// `fisher_significant_tensors` (tensor comparisons with p < 0.05).
    public var auditMetrics: [AuditMetric] {
        let units = comparisons.flatMap(\.tensors)
        let tv = units.map(\.tv).filter { !$0.isNaN }
        let js = units.map(\.js).filter { !$0.isNaN }
        let jac = units.map(\.top1Jaccard).filter { !$0.isNaN }
        return [
            AuditMetric(name: "fisher_tv_max", value: tv.max() ?? .nan),
            AuditMetric(name: "fisher_js_max", value: js.max() ?? .nan),
            AuditMetric(name: "fisher_top1_jaccard_min", value: jac.min() ?? .nan),
            AuditMetric(name: "fisher_significant_tensors", value: Double(units.filter(\.significant).count)),
        ]
    }
}
