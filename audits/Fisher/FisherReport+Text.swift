import Foundation

extension FisherReport {
    /// Plain-text tables: a summary row per comparison (each layer's TV, the
    /// largest tensor TV, how many tensors diverge beyond the permutation
    /// null); per-tensor and per-layer detail for the one pair of two groups
    /// or, with up to five groups, for each group against the rest (every
    /// comparison's detail is in the JSON); then the influential parameters.
    public var text: String { render(markdown: false) }

    /// The same as Markdown tables.
    public var markdown: String { render(markdown: true) }

    /// Layer columns shown in the summary (more layers: only the largest).
    static let maxLayerColumns = 6

    private func render(markdown md: Bool) -> String {
        var out =
            (md ? "### " : "")
            + "Fisher divergence between groups (\(kind.rawValue) Fisher, \(permutations) permutation rounds, seed \(seed))\n"
        let skipped = groups.filter { !$0.compared }.map(\.name)
        if !skipped.isEmpty {
            out +=
                (md ? "\n" : "")
                + "Not compared (fewer than \(minGroupSize) rows): \(skipped.joined(separator: ", "))\n"
        }
        guard let first = comparisons.first else { return out + "Fewer than two groups to compare.\n" }
        let star = { (u: UnitDivergence) in u.significant ? "*" : "" }
        let layerNames = first.layers.count <= Self.maxLayerColumns ? first.layers.map(\.name) : []
        var header = ["comparison"] + layerNames.map { "\($0) TV" }
        if layerNames.isEmpty { header += ["largest layer TV", "layer"] }
        header += ["largest tensor TV", "tensor", "significant tensors"]
        let rows = comparisons.map { c -> [String] in
            var row = [Self.title(c)] + c.layers.prefix(layerNames.count).map { Self.fmt($0.tv) + star($0) }
            if layerNames.isEmpty {
                let l = c.layers.filter { !$0.tv.isNaN }.max { $0.tv < $1.tv }
                row += [l.map { Self.fmt($0.tv) + star($0) } ?? "-", l?.name ?? "-"]
            }
            let t = c.tensors.filter { !$0.tv.isNaN }.max { $0.tv < $1.tv }
            row += [
                t.map { Self.fmt($0.tv) + star($0) } ?? "-", t?.name ?? "-",
                "\(c.tensors.filter(\.significant).count)/\(c.tensors.count)",
            ]
            return row
        }
        out +=
            "\n"
            + (md
                ? "**Summary** (TV; * p < 0.05 against the permutation null)\n\n"
                : "Summary (TV; * p < 0.05 against the permutation null)\n")
        out += Self.table(header: header, rows: rows, markdown: md)

        let detailed = comparisons.count == 1 ? comparisons : (groups.filter(\.compared).count <= 5 ? againstRest : [])
        let columns = ["size", "TV", "JS", "top1% Jaccard", "null TV", "p", "sig"]
        for c in detailed {
            out += "\n" + (md ? "**\(Self.title(c))**\n\n" : "\(Self.title(c))\n")
            let cells = { (u: UnitDivergence) -> [String] in
                [
                    u.name, String(u.size), Self.fmt(u.tv), Self.fmt(u.js), Self.fmt(u.top1Jaccard),
                    u.nullTVMean.map(Self.fmt) ?? "-", u.pValue.map(Self.fmt) ?? "-", star(u),
                ]
            }
            out += Self.table(header: ["tensor"] + columns, rows: c.tensors.map(cells), markdown: md)
            out += (md ? "\n" : "") + Self.table(header: ["layer"] + columns, rows: c.layers.map(cells), markdown: md)
        }
        if detailed.count < comparisons.count {
            out +=
                "\n" + (md ? "_" : "") + "Per-tensor detail of every comparison: see the JSON report." + (md ? "_" : "")
                + "\n"
        }
        if !influential.isEmpty {
            let names = groups.filter(\.compared).map(\.name)
            out += "\n" + (md ? "**Most group-influential parameters**\n\n" : "Most group-influential parameters\n")
            let rows = influential.map { p in
                [
                    p.tensor, "[" + p.multiIndex.map(String.init).joined(separator: ", ") + "]",
                    Self.fmt(p.difference), p.groups.joined(separator: " > "),
                ] + p.fisher.map(Self.fmt)
            }
            out += Self.table(
                header: ["tensor", "index", "spread", "groups"] + names.map { "P(\($0))" },
                rows: rows, markdown: md)
        }
        if let savedTo { out += "\nRaw per-group Fisher saved to \(savedTo)\n" }
        return out
    }

    static func title(_ c: GroupComparison) -> String {
        c.againstRest ? "\(c.groups[0]) vs the rest" : "\(c.groups[0]) vs \(c.groups[1])"
    }

    /// Four significant digits; `nan` for NaN.
    static func fmt(_ x: Double) -> String { x.isNaN ? "nan" : String(format: "%.4g", x) }

    /// An aligned text table (first column left, the rest right) or a Markdown table.
    static func table(header: [String], rows: [[String]], markdown: Bool) -> String {
        if markdown {
            let esc = { (s: String) in s.replacingOccurrences(of: "|", with: "\\|") }
            var out = "| " + header.map(esc).joined(separator: " | ") + " |\n"
            out += "|" + header.indices.map { $0 == 0 ? "---|" : "---:|" }.joined() + "\n"
            for r in rows { out += "| " + r.map(esc).joined(separator: " | ") + " |\n" }
            return out
        }
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, s in
                let pad = String(repeating: " ", count: max(0, widths[c] - s.count))
                return c == 0 ? s + pad : pad + s
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }
}
