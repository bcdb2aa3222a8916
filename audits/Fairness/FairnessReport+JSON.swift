import FairAudit

extension FairnessReport {
    /// The report as JSON (stable; CI scripts parse it):
    ///
    ///     {"threshold", "min_group_size", "rows",
    ///      "groups": [{"name", "columns": {col: value}, "count", "selection_rate",
    ///                  "tpr", "fpr", "accuracy", "mean_score", "small",
    ///                  "ci": {"selection_rate": [lo, hi] | null, "tpr", "fpr", "accuracy"}}],
    ///      "overall": {"count", "selection_rate", "tpr", "fpr", "accuracy", "mean_score"},
    ///      "metrics": {"accuracy": {"value"}, "selection_rate": {"value"},
    ///                  "demographic_parity_difference": {"value", "ci": [lo, hi] | null},
    ///                  … demographic_parity_ratio, equalized_odds_difference, equalized_odds_ratio,
    ///                  equal_opportunity_difference, equal_opportunity_ratio, accuracy_difference},
    ///      "bootstrap": {"resamples", "confidence", "seed"}}
    ///
    /// NaN (a ratio 0/0) is `null`. `columns` splits an intersection's name
    /// into the `groupColumns` values (empty when the name does not split).
    public func json(groupColumns: [String] = []) -> JSONValue {
        let groupsJSON: [JSONValue] = groups.map { g in
            let cols = Self.columnValues(of: g.group, columns: groupColumns)
            return .object(
                [
                    ("name", .string(g.group)),
                    ("columns", .object(cols.map { ($0.0, .string($0.1)) })),
                ]
                    + Self.rateFields(g) + [("small", .bool(g.small)), ("ci", Self.rateIntervals(g))])
        }
        var metricsJSON: [(String, JSONValue)] = [
            ("accuracy", .object([("value", .finite(overall.accuracy))])),
            ("selection_rate", .object([("value", .finite(overall.selectionRate))])),
        ]
        for m in gapMetrics {
            let ci: JSONValue = m.interval.map { .array([.finite($0.lowerBound), .finite($0.upperBound)]) } ?? .null
            metricsJSON.append((m.name, .object([("value", .finite(m.value)), ("ci", ci)])))
        }
        return .object([
            ("threshold", .number(threshold)),
            ("min_group_size", .int(minGroupSize)),
            ("rows", .int(overall.count)),
            ("groups", .array(groupsJSON)),
            ("overall", .object(Self.rateFields(overall))),
            ("metrics", .object(metricsJSON)),
            (
                "bootstrap",
                .object([
                    ("resamples", .int(resamples)), ("confidence", .number(confidence)),
                    ("seed", .string(String(seed))),
                ])
            ),
        ])
    }

    /// The metrics a release gate checks: overall `accuracy` and
    /// `selection_rate`, then every gap with its interval.
    public var auditMetrics: [AuditMetric] {
        [
            AuditMetric(name: "accuracy", value: overall.accuracy),
            AuditMetric(name: "selection_rate", value: overall.selectionRate),
        ]
            + gapMetrics.map { AuditMetric(name: $0.name, value: $0.value, interval: $0.interval) }
    }

    static func rateIntervals(_ g: GroupMetrics) -> JSONValue {
        .object(
            ["selection_rate", "tpr", "fpr", "accuracy"].enumerated().map { m, key in
                let ci = m < g.intervals.count ? g.intervals[m] : nil
                return (key, ci.map { .array([.finite($0.lowerBound), .finite($0.upperBound)]) } ?? .null)
            })
    }

    static func rateFields(_ g: GroupMetrics) -> [(String, JSONValue)] {
        [
            ("count", .int(g.count)), ("selection_rate", .finite(g.selectionRate)), ("tpr", .finite(g.tpr)),
            ("fpr", .finite(g.fpr)), ("accuracy", .finite(g.accuracy)), ("mean_score", .finite(g.meanScore)),
        ]
    }

    /// `name` split into one value per column: the whole name for one column;
    /// for several, the parts joined by `" & "` (or `", "`) when the count matches.
    static func columnValues(of name: String, columns: [String]) -> [(String, String)] {
        if columns.count == 1 { return [(columns[0], name)] }
        guard columns.count > 1 else { return [] }
        for sep in [" & ", ", "] {
            let parts = name.components(separatedBy: sep)
            if parts.count == columns.count { return Array(zip(columns, parts)) }
        }
        return []
    }
}
