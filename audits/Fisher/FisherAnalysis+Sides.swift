/// Every compared group's normalized Fisher over one unit and, when asked,
/// each one's "rest": computed once per unit and shared by all comparisons.
struct UnitSides {
    /// Compared group → `P_g` (absent when the group has no Fisher mass here).
    var groups: [Int: [Double]] = [:]
    /// Compared group → normalized Fisher of all rows outside it.
    var rests: [Int: [Double]] = [:]

    /// The rest of g is the count-weighted mean of every other group with
    /// rows, `Σ_{h≠g} N_h F_h / Σ_{h≠g} N_h` (the Fisher of all rows outside
    /// g), computed as `(S − N_g F_g)` with `S = Σ_h N_h F_h` and then normalized.
    init(values: [[[Double]]], counts: [Int], unit: FisherUnit, compared: [Int], withRest: Bool) {
        for g in compared {
            groups[g] = FisherDivergence.normalized(FisherByGroup.joined(g, values: values, tensors: unit.tensors))
        }
        guard withRest else { return }
        let size = unit.tensors.reduce(0) { $0 + (values.first?[$1].count ?? 0) }
        var total = [Double](repeating: 0, count: size)
        for h in values.indices where counts[h] > 0 {
            let w = Double(counts[h])
            var o = 0
            for t in unit.tensors {
                for v in values[h][t] {
                    total[o] += w * v
                    o += 1
                }
            }
        }
        for g in compared {
            let w = Double(counts[g])
            var rest = total
            var o = 0
            for t in unit.tensors {
                for v in values[g][t] {
                    rest[o] -= w * v
                    o += 1
                }
            }
            for i in rest.indices where rest[i] < 0 { rest[i] = 0 }  // rounding below an exact 0
            rests[g] = FisherDivergence.normalized(rest)
        }
    }

    /// The top-1% index sets of every group and rest (for the observed Fisher only).
    func topSets() -> (groups: [Int: Set<Int>], rests: [Int: Set<Int>]) {
        let top = { (p: [Double]) in Set(FisherDivergence.topIndices(p, k: FisherDivergence.topCount(p.count))) }
        return (groups.mapValues(top), rests.mapValues(top))
    }

    /// Both sides of a comparison (`(g, h)` or `(g, nil)` for g against the
    /// rest); nil when either side has no mass.
    func pair(_ spec: (Int, Int?)) -> ([Double], [Double])? {
        guard let p = groups[spec.0] ?? nil else { return nil }
        let q = spec.1.map { groups[$0] ?? nil } ?? (rests[spec.0] ?? nil)
        guard let q else { return nil }
        return (p, q)
    }
}
