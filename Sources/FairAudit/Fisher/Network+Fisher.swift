import Foundation

extension Network {
    /// Per-group diagonal Fisher information (docs/method.md §1):
    /// `F_g[i] = (1/N_g) Σ_{n∈D_g} (∂ℓ_n/∂θ_i)²`, from per-sample gradients
    /// — each a sum over every position where a weight is used, squared
    /// only then — accumulated per batch by each layer
    /// (``LayerOp/accumulateSquaredSampleGrads``; dense layers on one
    /// position per row use the exact identity `(X∘X)ᵀ(Δ∘Δ)`).
    ///
    /// With `kind: .model` each row contributes `Σ_y p(y|x) g_y²` (one
    /// sigmoid unit: `δ² = p(1−p)`). Each group's rows are split in two
    /// fixed halves run on two threads with their own sums, added in a
    /// fixed order, so the result is deterministic.
    /// Batches of 128 rows measured fastest on the Adult MLP.
    public func groupFisher(features: [Float], labels: [Float], rowGroups: [Int], groupNames: [String],
                            kind: FisherKind = .empirical, batchSize: Int = 128) throws -> GroupFisher {
        let rows = labels.count
        try checkInput(features: features, rows: rows)
        try checkLabels(labels, rows: rows)
        guard rowGroups.count == rows else {
            throw FairAuditError.unsupportedModel(reason: "got \(rowGroups.count) group indices for \(rows) rows")
        }
        if let bad = rowGroups.first(where: { $0 < 0 || $0 >= groupNames.count }) {
            throw FairAuditError.unsupportedModel(reason: "a row's group index \(bad) is outside the \(groupNames.count) groups")
        }
        var members = [[Int]](repeating: [], count: groupNames.count)
        for (r, g) in rowGroups.enumerated() { members[g].append(r) }
        let groups = members
        let threads = rows >= 512 ? 2 : 1
        let batch = max(1, batchSize)
        let partials = parallelMap(threads) { p -> FisherSums in
            let sums = FisherSums(counts: trainable.map { self.values[$0].count }, columns: groups.count)
            for (g, rowsOfGroup) in groups.enumerated() {
                let half = parallelRanges(rows: rowsOfGroup.count, parts: threads)[p]
                var start = half.lowerBound
                while start < half.upperBound {
                    let end = min(start + batch, half.upperBound)
                    let chunk = Array(rowsOfGroup[start..<end])
                    accumulateFisher(features: features, labels: labels, rows: chunk, kind: kind,
                                     weights: Membership(rows: chunk.count, columns: 1,
                                                         weights: [Float](repeating: 1, count: chunk.count)),
                                     into: sums, column: g)
                    start = end
                }
            }
            return sums
        }
        let total = partials[0]
        for p in partials.dropFirst() { total.add(p) }
        let means = groups.indices.map { g in
            trainable.indices.map { s in
                let n = Float(groups[g].count)
                return total.values(slot: s, column: g).map { n > 0 ? $0 / n : 0 }
            }
        }
        return GroupFisher(tensorNames: trainableNames, groupNames: groupNames, counts: groups.map(\.count), values: means)
    }

    /// Runs `rows` of `features` forward once and adds every trainable
    /// tensor's `Σ_n w[n, c] (∂ℓ_n/∂θ)²` (or its model-distribution form)
    /// into `sums`, weight column `c` going to sums column `column + c`.
    func accumulateFisher(features: [Float], labels: [Float], rows indices: [Int], kind: FisherKind,
                          weights: Membership, into sums: FisherSums, column: Int) {
        let n = indices.count
        guard n > 0 else { return }
        var x = [Float](repeating: 0, count: n * inputWidth)
        features.withUnsafeBufferPointer { f in
            x.withUnsafeMutableBufferPointer { dst in
                guard let s = f.baseAddress, let d = dst.baseAddress else { return }
                for (r, i) in indices.enumerated() { (d + r * inputWidth).update(from: s + i * inputWidth, count: inputWidth) }
            }
        }
        accumulateFisher(x: x, labels: indices.map { labels[$0] }, kind: kind, weights: weights, into: sums, column: column)
    }

    /// The same for a batch already gathered: `x` (`rows × inputWidth`) and its labels.
    func accumulateFisher(x: [Float], labels batchLabels: [Float], kind: FisherKind, weights: Membership,
                          into sums: FisherSums, column: Int) {
        let n = batchLabels.count
        guard n > 0 else { return }
        let trace = forwardTrace(x, rows: n)
        let z = logits(trace)
        let loss = self.loss
        var passes: [(delta: [Float], rowWeights: [Float]?)] = []
        switch kind {
        case .empirical:
            passes = [(loss.deltas(z, labels: batchLabels, rows: n), nil)]
        case .model where outputWidth == 1:
            passes = [((0..<n).map { r in let p = Activation.sigmoid(z[r]); return (p * (1 - p)).squareRoot() }, nil)]
        case .model:
            let probs = (0..<n).map { loss.probabilities(z, row: $0) }
            passes = (0..<outputWidth).map { cls in
                let d = loss.deltas(z, labels: [Float](repeating: Float(cls), count: n), rows: n)
                return (d, probs.map { $0[cls] })
            }
        }
        let slots = trainableSlots
        for pass in passes {
            var w = weights
            if let rw = pass.rowWeights {
                for r in 0..<n { for c in 0..<w.columns { w.weights[r * w.columns + c] *= rw[r] } }
            }
            walkBackward(trace, logitGrad: pass.delta, wantParams: false) { i, g, ins, _ in
                let node = nodes[i]
                let roles = trainableRoles(node, slots: slots)
                guard !roles.isEmpty else { return }
                node.op.accumulateSquaredSampleGrads(g, ins, params(of: node), cache: trace.caches[i], roles: roles.map(\.role),
                                                     weights: w, into: roles.map { sums.pointer(slot: $0.slot, column: column) })
            }
        }
    }
}
