import Foundation

extension FisherReport {
    /// Plain-text tables: per comparison, each tensor's and each layer's
    /// divergences against the permutation null; then the influential parameters.
    public var text: String { render(markdown: false) }

    /// The same as Markdown tables.
    public var markdown: String { render(markdown: true) }

    private func render(markdown md: Bool) -> String {
        var out = (md ? "### " : "") + "Fisher divergence between groups (\(kind) Fisher, \(permutations) permutation rounds, seed \(seed))\n"
        let skipped = groups.filter { !$0.compared }.map(\.name)
        if !skipped.isEmpty {
            out += (md ? "\n" : "") + "Not compared (fewer than \(minGroupSize) rows): \(skipped.joined(separator: ", "))\n"
        }
        if comparisons.isEmpty { return out + "Fewer than two groups to compare.\n" }
        let header = ["", "size", "TV", "JS", "top1% Jaccard", "null TV", "p", "sig"]
        for c in comparisons {
            let title = c.againstRest ? "\(c.groups[0]) vs the rest" : "\(c.groups[0]) vs \(c.groups[1])"
            out += "\n" + (md ? "**\(title)**\n\n" : "\(title)\n")
            let rows = (c.tensors + [nil] + c.layers).map { u -> [String] in
                guard let u else { return [] }
                return [u.name, String(u.size), Self.fmt(u.tv), Self.fmt(u.js), Self.fmt(u.top1Jaccard),
                        u.nullTVMean.map(Self.fmt) ?? "-", u.pValue.map(Self.fmt) ?? "-", u.significant ? "*" : ""]
            }
            let tensorRows = Array(rows[..<c.tensors.count]), layerRows = Array(rows[(c.tensors.count + 1)...])
            out += Self.table(header: ["tensor"] + header.dropFirst(), rows: tensorRows, markdown: md)
            out += (md ? "\n" : "") + Self.table(header: ["layer"] + header.dropFirst(), rows: layerRows, markdown: md)
        }
        out += "\n" + (md ? "" : "* p < 0.05 against the permutation null\n")
        if !influential.isEmpty {
            let names = groups.filter(\.compared).map(\.name)
            out += (md ? "**Most group-influential parameters**\n\n" : "\nMost group-influential parameters\n")
            let rows = influential.map { p in
                [p.tensor, "[" + p.multiIndex.map(String.init).joined(separator: ", ") + "]",
                 Self.fmt(p.difference), p.groups.joined(separator: " > ")] + p.fisher.map(Self.fmt)
            }
            out += Self.table(header: ["tensor", "index", "spread", "groups"] + names.map { "P(\($0))" },
                              rows: rows, markdown: md)
        }
        if let savedTo { out += "\nRaw per-group Fisher saved to \(savedTo)\n" }
        return out
    }

    /// Five significant digits; `nan` for NaN.
    static func fmt(_ x: Double) -> String { x.isNaN ? "nan" : String(format: "%.5g", x) }

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
