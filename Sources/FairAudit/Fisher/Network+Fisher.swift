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
    public func groupFisher(
        features: [Float], labels: [Float], rowGroups: [Int], groupNames: [String],
        kind: FisherKind = .empirical, batchSize: Int = 128
    ) throws -> GroupFisher {
        let rows = labels.count
        try checkInput(features: features, rows: rows)
        try checkLabels(labels, rows: rows)
        guard rowGroups.count == rows else {
            throw FairAuditError.unsupportedModel(reason: "got \(rowGroups.count) group indices for \(rows) rows")
        }
        if let bad = rowGroups.first(where: { $0 < 0 || $0 >= groupNames.count }) {
            throw FairAuditError.unsupportedModel(
                reason: "a row's group index \(bad) is outside the \(groupNames.count) groups")
        }
        var members = [[Int]](repeating: [], count: groupNames.count)
        for (r, g) in rowGroups.enumerated() { members[g].append(r) }
        let groups = members
        let threads = rows >= 512 ? 2 : 1
        let batch = max(1, batchSize)
        let plan = backwardPlan
        let partials = parallelMap(threads) { p -> FisherSums in
            let sums = FisherSums(counts: trainable.map { self.values[$0].count }, columns: groups.count)
            var work = FisherWorkspace(network: self, plan: plan)
            features.withUnsafeBufferPointer { f in
                for (g, rowsOfGroup) in groups.enumerated() {
                    let half = parallelRanges(rows: rowsOfGroup.count, parts: threads)[p]
                    var start = half.lowerBound
                    while start < half.upperBound {
                        let end = min(start + batch, half.upperBound)
                        work.setOnes(rows: end - start)
                        accumulateFisher(
                            f, labels: labels, rows: rowsOfGroup[start..<end], kind: kind, into: sums, column: g,
                            workspace: &work)
                        start = end
                    }
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
        return GroupFisher(
            tensorNames: trainableNames, groupNames: groupNames, counts: groups.map(\.count), values: means)
    }

    /// Runs `rows` of `features` forward once and adds every trainable
    /// tensor's `Σ_n w[n, c] (∂ℓ_n/∂θ)²` (or its model-distribution form)
    /// into `sums`, weight column `c` going to sums column `column + c`.
    func accumulateFisher(
        features: [Float], labels: [Float], rows indices: [Int], kind: FisherKind,
        weights: Membership, into sums: FisherSums, column: Int
    ) {
        var work = FisherWorkspace(network: self, plan: backwardPlan)
        work.membership = weights
        features.withUnsafeBufferPointer { f in
            accumulateFisher(
                f, labels: labels, rows: indices[...], kind: kind, into: sums, column: column, workspace: &work)
        }
    }

    /// ``accumulateFisher(features:labels:rows:kind:weights:into:column:)``
    /// through a thread's reused buffers, the weights in `work.membership`:
    /// once the sizes are reached a batch allocates nothing (the model
    /// Fisher of a softmax over several classes aside).
    func accumulateFisher(
        _ features: UnsafeBufferPointer<Float>, labels: [Float], rows indices: ArraySlice<Int>, kind: FisherKind,
        into sums: FisherSums, column: Int, workspace work: inout FisherWorkspace
    ) {
        let n = indices.count
        guard n > 0 else { return }
        let base = indices.startIndex
        loadInputs(features, count: n, row: { indices[base + $0] }, into: &work.trace)
        runForward(&work.trace)
        let loss = self.loss
        let classes = outputWidth
        Buffers.resize(&work.delta, n * classes)
        switch kind {
        case .empirical:
            work.trace.values[outputValue].data.withUnsafeBufferPointer { z in
                loss.writeDeltas(z, count: n, label: { labels[indices[base + $0]] }, into: &work.delta)
            }
            accumulatePass(into: sums, column: column, workspace: &work)
        case .model where classes == 1:
            let z = work.trace.values[outputValue].data
            for r in 0..<n {
                let p = Activation.sigmoid(z[r])
                work.delta[r] = (p * (1 - p)).squareRoot()
            }
            accumulatePass(into: sums, column: column, workspace: &work)
        case .model:
            let z = logits(work.trace)
            let probs = (0..<n).map { loss.probabilities(z, row: $0) }
            let weights = work.membership
            for cls in 0..<classes {
                work.delta = loss.deltas(z, labels: [Float](repeating: Float(cls), count: n), rows: n)
                var w = weights
                for r in 0..<n { for c in 0..<w.columns { w.weights[r * w.columns + c] *= probs[r][cls] } }
                work.membership = w
                accumulatePass(into: sums, column: column, workspace: &work)
            }
            work.membership = weights
        }
    }

    /// One backward pass from `work.delta`, each layer adding its squared
    /// per-sample gradients weighted by `work.membership`.
    private func accumulatePass(into sums: FisherSums, column: Int, workspace work: inout FisherWorkspace) {
        let plan = work.plan
        let weights = work.membership
        let trace = work.trace
        if work.pointerColumn != column || work.pointerSums !== sums {
            work.pointers = plan.slots.map { $0.map { sums.pointer(slot: $0, column: column) } }
            work.pointerColumn = column
            work.pointerSums = sums
        }
        let pointers = work.pointers
        var buffers = GradientBuffers()
        swap(&buffers, &work.buffers)  // moved out, so nothing shares its storage
        walkBackward(trace, logitGrad: work.delta, plan: plan, buffers: &buffers) { i, g, ins in
            guard !plan.roles[i].isEmpty else { return }
            let node = nodes[i]
            node.op.accumulateSquaredSampleGrads(
                g, ins, params(of: node), cache: trace.caches[i], roles: plan.roles[i],
                weights: weights, into: pointers[i])
        }
        swap(&buffers, &work.buffers)
    }
}

/// A thread's buffers for the Fisher pass, reused batch after batch.
struct FisherWorkspace {
    var trace: Trace
    var buffers: GradientBuffers
    let plan: BackwardPlan
    /// `∂ℓ_n/∂z_n` of the batch, `rows × classes`.
    var delta: [Float] = []
    /// The weights the squared gradients are summed with.
    var membership = Membership(rows: 0, columns: 1, weights: [])
    /// Where each node's trainable tensors' sums start, for `pointerColumn` of `pointerSums`.
    var pointers: [[UnsafeMutablePointer<Double>]] = []
    var pointerColumn = -1
    var pointerSums: FisherSums?

    init(network: Network, plan: BackwardPlan) {
        trace = Trace(network: network)
        buffers = GradientBuffers(network: network)
        self.plan = plan
    }

    /// One column of ones for `rows` rows: a group's plain sum.
    mutating func setOnes(rows: Int) {
        guard membership.rows != rows || membership.columns != 1 else { return }
        membership.rows = rows
        membership.columns = 1
        membership.weights.removeAll(keepingCapacity: true)
        membership.weights.append(contentsOf: repeatElement(1, count: rows))
    }
}
