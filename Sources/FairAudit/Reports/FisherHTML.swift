import Foundation

/// The Fisher audit's JSON (`groups`, `pairs`, `vs_rest`, `influential`,
/// `permutations`) as HTML: one heatmap of every layer against every
/// comparison, the cells beyond chance, and the most group-influential weights.
public enum FisherHTML {
    /// Pairs of groups with at most this many compared groups; each group
    /// against the rest with more (4 groups make 6 pairs, 10 would make 45).
    public static let maxGroupsForPairs = 4

    /// The comparisons the heatmap shows, and how they are labelled.
    static func comparisons(_ json: JSONValue) -> (items: [JSONValue], label: (JSONValue) -> String, kind: String) {
        let compared = (json["groups"]?.array ?? []).filter { $0["compared"]?.isTrue == true }.count
        let pairs = json["pairs"]?.array ?? []
        let rest = json["vs_rest"]?.array ?? []
        let names: (JSONValue) -> [String] = { ($0["groups"]?.array ?? []).compactMap(\.string) }
        if compared > maxGroupsForPairs, !rest.isEmpty {
            return (rest, { names($0).first ?? "?" }, "each group against all other rows")
        }
        return (pairs, { c in names(c).joined(separator: " vs ") }, "each pair of groups")
    }

    /// The units (layers, or tensors when no layer list) of a comparison.
    static func units(_ c: JSONValue) -> [JSONValue] {
        let layers = c["layers"]?.array ?? []
        return layers.isEmpty ? (c["tensors"]?.array ?? []) : layers
    }

    /// The heatmap, or nil when nothing was compared.
    public static func heatmap(_ json: JSONValue) -> Heatmap? {
        let (items, label, _) = comparisons(json)
        guard let first = items.first else { return nil }
        let rows = units(first).map { $0["name"]?.string ?? "?" }
        guard !rows.isEmpty else { return nil }
        let columns = items.map(label)
        let cells = rows.indices.map { i in
            items.indices.map { j -> Heatmap.Cell in
                let u = units(items[j])
                guard i < u.count else { return Heatmap.Cell(value: .nan, marked: false) }
                let tv = u[i]["tv"]?.double ?? .nan
                let p = u[i]["p_value"]?.double
                let null = u[i]["null_tv_mean"]?.double
                var tip = "\(rows[i]), \(columns[j]): TV \(Format.f(tv, 3))"
                if let null, null.isFinite { tip += ", null \(Format.f(null, 3))" }
                if let p, p.isFinite { tip += ", p \(Format.f(p, 2))" }
                return Heatmap.Cell(value: tv, marked: (p ?? 1) < 0.05, hover: tip)
            }
        }
        return Heatmap(
            title: "Fisher divergence (TV) per layer and group comparison", rowLabels: rows, columnLabels: columns,
            cells: cells, valueName: "TV", markName: "p < 0.05 (permutation test)")
    }

    /// The section: heatmap, cells beyond chance, influential weights.
    public static func section(_ json: JSONValue) -> String {
        var s = ""
        let (items, label, kind) = comparisons(json)
        let rounds = Int(json["permutations"]?.double ?? 0)
        let left = (json["groups"]?.array ?? []).filter { $0["compared"]?.isTrue != true }
        if !left.isEmpty {
            let list = left.map { "\($0["name"]?.string ?? "?") (\(Int($0["count"]?.double ?? 0)) rows)" }.joined(
                separator: ", ")
            s +=
                "<p class=\"muted\">Not compared, fewer than \(Int(json["min_group_size"]?.double ?? 0)) rows: \(Markup.escape(list)).</p>\n"
        }
        if let map = heatmap(json) {
            let tips =
                map.rowLabels.count * map.columnLabels.count <= map.tooltipLimit ? " Hover a cell for its numbers." : ""
            s +=
                HTMLReport.figure(
                    map.canvas(),
                    caption:
                        "Total variation between the groups' normalized Fisher information, per layer (rows) for "
                        + "\(kind) (columns): "
                        + "0 when the groups lean on the same weights in the same proportions, 1 when on disjoint "
                        + "ones. "
                        + (rounds > 0
                            ? "A ring marks a cell whose TV exceeds what \(rounds) random relabellings of the rows "
                                + "gave, p < 0.05."
                            : "No permutation rounds were run, so no cell is tested.")
                        + tips) + "\n"
        } else {
            s += "<p>No two groups were large enough to compare.</p>\n"
        }
        var beyond: [(String, String, Double, Double?, Double)] = []
        for c in items {
            for u in units(c) {
                guard let p = u["p_value"]?.double, p < 0.05, let tv = u["tv"]?.double, tv.isFinite else { continue }
                beyond.append((u["name"]?.string ?? "?", label(c), tv, u["null_tv_mean"]?.double, p))
            }
        }
        if rounds > 0 {
            beyond.sort { $0.2 > $1.2 }
            if beyond.isEmpty {
                s +=
                    "<p>No layer differs between groups beyond chance (p &lt; 0.05 over \(rounds) permutation "
                    + "rounds).</p>\n"
            } else {
                var t = HTMLTable(
                    caption:
                        "Largest divergences beyond chance (\(beyond.count) cells with p < 0.05\(beyond.count > 15 ? ", top 15" : ""))",
                    headers: ["layer", "comparison", "TV", "null mean TV", "p"], id: "fisher-significant")
                for b in beyond.prefix(15) {
                    t.add([
                        HTMLTable.Cell(b.0), HTMLTable.Cell(b.1), .number(Format.f(b.2, 3)),
                        .number(b.3.map { Format.f($0, 3) } ?? "—"), .number(Format.f(b.4, 3)),
                    ])
                }
                s += t.html + "\n"
            }
        }
        s += influentialTable(json)
        return s
    }

    /// The weights whose normalized Fisher differs most between groups.
    static func influentialTable(_ json: JSONValue) -> String {
        guard let top = json["influential"]?.array, !top.isEmpty else { return "" }
        var t = HTMLTable(
            caption: "Most group-influential weights (largest spread of normalized Fisher across the compared groups)",
            headers: ["#", "tensor", "index", "spread", "most used by", "least used by"], id: "influential")
        for (i, p) in top.enumerated() {
            let idx = (p["multi_index"]?.array ?? []).compactMap(\.double).map { String(Int($0)) }.joined(
                separator: ", ")
            let g = (p["groups"]?.array ?? []).compactMap(\.string)
            t.add([
                .number(String(i + 1)), HTMLTable.Cell(p["tensor"]?.string ?? "?"), .number("[\(idx)]"),
                .number(Format.g(p["difference"]?.double ?? .nan, 3)),
                HTMLTable.Cell(g.first ?? "—"), HTMLTable.Cell(g.count > 1 ? g[1] : "—"),
            ])
        }
        return t.html + "\n"
    }
}
