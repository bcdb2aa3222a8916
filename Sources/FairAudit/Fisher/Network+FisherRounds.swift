import Foundation

extension Network {
    /// The per-group Fisher of several assignments of rows to groups at
    /// once — the data's own and permutation rounds — from one forward and
    /// backward pass per batch: each batch's per-sample squared gradients
    /// are summed into every (assignment, group) column in the same pass,
    /// one GEMM with the batch's membership matrix
    /// `W[n, (a, g)] = 1 if assignment a puts row n in group g`.
    ///
    /// Every assignment must hold the same number of rows per group (a
    /// permutation does); the largest group of each assignment after the
    /// first is then not summed but taken as the total minus the others.
    /// Returns one ``GroupFisher`` per assignment, in order.
    public func groupFisher(
        features: [Float], labels: [Float], assignments: [[Int]], groupNames: [String],
        kind: FisherKind = .empirical, batchSize: Int = 128
    ) throws -> [GroupFisher] {
        guard let first = assignments.first else { return [] }
        guard assignments.count > 1 else {
            return [
                try groupFisher(
                    features: features, labels: labels, rowGroups: first, groupNames: groupNames,
                    kind: kind, batchSize: batchSize)
            ]
        }
        try checkInput(features: features, rows: labels.count)
        try checkLabels(labels, rows: labels.count)
        let rows = labels.count
        let groups = groupNames.count
        var observedCounts = [Int](repeating: 0, count: groups)
        for g in first where g >= 0 && g < groups { observedCounts[g] += 1 }
        for (a, rg) in assignments.enumerated() {
            guard rg.count == rows, rg.allSatisfy({ $0 >= 0 && $0 < groups }) else {
                throw FairAuditError.unsupportedModel(
                    reason: "assignment \(a) does not give each of the \(rows) rows one of the \(groups) groups")
            }
            var counts = [Int](repeating: 0, count: groups)
            for g in rg { counts[g] += 1 }
            guard counts == observedCounts else {
                throw FairAuditError.unsupportedModel(
                    reason: "assignment \(a) has group sizes \(counts), not the data's \(observedCounts)")
            }
        }
        // Columns: every group of the first assignment, then for each later one every group but the largest.
        let derived = observedCounts.indices.max { observedCounts[$0] < observedCounts[$1] } ?? 0
        let summed = (0..<groups).filter { $0 != derived }
        let rounds = Array(assignments.dropFirst())
        let columns = groups + rounds.count * summed.count
        let threads = rows >= 512 ? 2 : 1
        let batch = max(1, batchSize)
        let partials = parallelMap(threads) { p -> FisherSums in
            let sums = FisherSums(counts: trainable.map { self.values[$0].count }, columns: columns)
            let range = parallelRanges(rows: rows, parts: threads)[p]
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + batch, range.upperBound)
                var w = [Float](repeating: 0, count: (end - start) * columns)
                for n in start..<end {
                    w[(n - start) * columns + first[n]] = 1
                    for (a, rg) in rounds.enumerated() {
                        if let k = summed.firstIndex(of: rg[n]) {
                            w[(n - start) * columns + groups + a * summed.count + k] = 1
                        }
                    }
                }
                accumulateFisher(
                    features: features, labels: labels, rows: Array(start..<end), kind: kind,
                    weights: Membership(rows: end - start, columns: columns, weights: w), into: sums, column: 0)
                start = end
            }
            return sums
        }
        let total = partials[0]
        for p in partials.dropFirst() { total.add(p) }
        let observed = GroupFisher(
            tensorNames: trainableNames, groupNames: groupNames, counts: observedCounts,
            values: (0..<groups).map { g in
                trainable.indices.map { s in
                    let n = Float(observedCounts[g])
                    return total.values(slot: s, column: g).map { n > 0 ? $0 / n : 0 }
                }
            })
        var out = [observed]
        for a in rounds.indices {
            var values = observed.values
            for s in trainable.indices {
                // Σ over all rows, the same in every assignment: the observed groups' sums.
                var rest = [Float](repeating: 0, count: values[0][s].count)
                for g in 0..<groups { Buffers.add(total.values(slot: s, column: g), into: &rest) }
                for (k, g) in summed.enumerated() {
                    let col = total.values(slot: s, column: groups + a * summed.count + k)
                    let n = Float(observedCounts[g])
                    values[g][s] = col.map { n > 0 ? $0 / n : 0 }
                    for i in rest.indices { rest[i] -= col[i] }
                }
                let n = Float(observedCounts[derived])
                values[derived][s] = rest.map { n > 0 ? max($0, 0) / n : 0 }
            }
            out.append(
                GroupFisher(
                    tensorNames: observed.tensorNames, groupNames: groupNames, counts: observedCounts, values: values))
        }
        return out
    }
}
