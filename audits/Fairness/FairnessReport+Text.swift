import Foundation

extension FairnessReport {
    /// An aligned plain-text table: one row per group, the overall row, then
    /// each gap with its bootstrap interval. Small groups carry a `*`.
    public var text: String {
        let header = ["group", "count", "sel.rate", "TPR", "FPR", "accuracy", "mean score"]
        var rows = groups.map { Self.cells($0) }
        rows.append(Self.cells(overall))
        var out = "Fairness at threshold \(threshold) (\(overall.count) rows)\n"
        out += Self.table(header: header, rows: rows, leftColumns: 1)
        if groups.contains(where: \.small) {
            out += "* fewer than \(minGroupSize) rows: reported, left out of the gaps\n"
        }
        out += "\n" + gapTitle + "\n"
        out += Self.table(header: ["metric", "value", "interval"], rows: gapRows, leftColumns: 1)
        return out
    }

    /// The same as `text`, as two Markdown tables.
    public var markdown: String {
        var out = "### Fairness at threshold \(threshold) (\(overall.count) rows)\n\n"
        out += "| group | count | selection rate | TPR | FPR | accuracy | mean score |\n"
        out += "|---|---:|---:|---:|---:|---:|---:|\n"
        for g in groups + [overall] {
            let c = Self.cells(g)
            out +=
                "| " + c[0].replacingOccurrences(of: "|", with: "\\|") + " | "
                + c.dropFirst().joined(separator: " | ") + " |\n"
        }
        if groups.contains(where: \.small) {
            out += "\n\\* fewer than \(minGroupSize) rows: reported, left out of the gaps.\n"
        }
        out += "\n**\(gapTitle)**\n\n| metric | value | interval |\n|---|---:|---:|\n"
        for r in gapRows { out += "| `\(r[0])` | \(r[1]) | \(r[2]) |\n" }
        return out
    }

    private var gapTitle: String {
        resamples > 0
            ? "Gaps between groups (\(String(format: "%g", confidence * 100))% percentile bootstrap, \(resamples) resamples, seed \(seed))"
            : "Gaps between groups (no bootstrap)"
    }

    private var gapRows: [[String]] {
        gapMetrics.map { m in
            [
                m.name, Self.fmt(m.value),
                m.interval.map { "[\(Self.fmt($0.lowerBound)), \(Self.fmt($0.upperBound))]" } ?? "-",
            ]
        }
    }

    static func cells(_ g: GroupMetrics) -> [String] {
        [
            g.group + (g.small ? " *" : ""), String(g.count), fmt(g.selectionRate), fmt(g.tpr), fmt(g.fpr),
            fmt(g.accuracy), fmt(g.meanScore),
        ]
    }

    /// Four decimals; `nan` for NaN.
    static func fmt(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        return String(format: "%.4f", x)
    }

    /// Columns padded to their widest cell; the first `leftColumns` left-aligned, the rest right-aligned.
    static func table(header: [String], rows: [[String]], leftColumns: Int) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, s in
                let pad = String(repeating: " ", count: max(0, widths[c] - s.count))
                return c < leftColumns ? s + pad : pad + s
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }
}
