import FairAudit
import Foundation

extension FisherAudit {
    /// The audit's result from a (merged) partial: each group's Fisher
    /// `F_g = S_g / N_g`, and for every permutation round each null group's
    /// `T_{r,g} / M_{r,g}` (the largest null group's sums being all rows'
    /// sums minus the others'), compared as docs/method.md §2 and §8 say.
    /// Refuses a null drawn with other group counts than the rows have: its
    /// report would not be the one a single run over the rows gives.
    public static func result(
        _ p: FisherPartial, options o: AuditOptions,
        progress: (String) -> Void = { _ in }
    ) throws -> AuditResult {
        let f = try options(o)
        let observed = try FisherByGroup(
            tensorNames: p.tensorNames, shapes: p.shapes, groupNames: p.groupNames,
            counts: p.counts,
            means: zip(p.sums, p.counts).map { sums, n in
                sums.map { t in t.map { n > 0 ? $0 / Double(n) : 0 } }
            })
        var rounds: [FisherAnalysis.NullRound] = []
        if p.permutations > 0 {
            let seen = Dictionary(uniqueKeysWithValues: zip(p.groupNames, p.counts).filter { $0.1 > 0 })
            let drawn = Dictionary(uniqueKeysWithValues: zip(p.nullNames, p.nullCounts).filter { $0.1 > 0 })
            guard seen == drawn else {
                let names = p.groupNames.filter { (seen[$0] ?? 0) > 0 }
                throw FisherError.inconsistentFisher(
                    reason:
                        "the permutation null was drawn with group counts \(FisherPartial.countsText(p.nullNames, p.nullCounts)) but the rows have \(FisherPartial.countsText(names, names.map { seen[$0] ?? 0 })); give every shard those with --null-counts"
                )
            }
            let total = p.sums.reduce(into: p.sums.first.map { $0.map { $0.map { _ in 0.0 } } } ?? []) { acc, g in
                for t in acc.indices { for i in acc[t].indices { acc[t][i] += g[t][i] } }
            }
            for r in 0..<p.permutations {
                // The derived null group: all rows' sums minus every summed null group's.
                var derived = total
                for h in p.nullNames.indices where !p.nullSums[r][h].isEmpty {
                    for t in derived.indices { for i in derived[t].indices { derived[t][i] -= p.nullSums[r][h][t][i] } }
                }
                let values: [[[Double]]] = p.groupNames.map { name in
                    guard let h = p.nullNames.firstIndex(of: name) else { return total.map { $0.map { _ in 0 } } }
                    let m = Double(p.nullRows[r][h])
                    let s = p.nullSums[r][h].isEmpty ? derived : p.nullSums[r][h]
                    // Rounding can leave the derived sums a hair below an exact 0.
                    return s.map { t in t.map { m > 0 ? max($0, 0) / m : 0 } }
                }
                rounds.append(
                    (p.groupNames.map { n in p.nullNames.firstIndex(of: n).map { p.nullRows[r][$0] } ?? 0 }, values))
            }
        }
        var report = try FisherAnalysis.run(
            observed: observed, layers: p.units, nullRounds: rounds,
            minGroupSize: o.minGroupSize, permutations: p.permutations, seed: p.seed,
            top: f.top, kind: p.kind)
        if let url = f.save {
            progress("fisher: saving the raw per-group Fisher to \(url.path)")
            try save(observed, to: url, formats: o.formats)
            report.savedTo = url.path
        }
        return AuditResult(
            name: name, json: report.json, text: report.text, markdown: report.markdown,
            metrics: report.auditMetrics)
    }
}
