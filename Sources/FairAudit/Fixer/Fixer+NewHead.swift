import Foundation

extension Fixer {
    /// The graph `fix` starts from: `graph` itself, or with `options.newHead`
    /// its output layer replaced by a new one initialized from the seed
    /// (``ModelGraph/replacingHead(_:seed:)``). The same for the same seed,
    /// so a caller can score the starting model `fix` trained from.
    public static func startingGraph(_ graph: ModelGraph, options: FixOptions) throws -> ModelGraph {
        guard let head = options.newHead else { return graph }
        return try graph.replacingHead(head, seed: options.seed ^ 0x4E45_5748_4541_4400)
    }

    /// One epoch of Adam on the head alone over `rows` (the body frozen, in
    /// the seeded stratified order), so the per-group Fisher that follows is
    /// taken through a head fitted to the new task rather than a random one
    /// (docs/method.md §5, "New head"). The body's values are unchanged.
    static func warmHead(
        _ net: inout Network, data: LabeledData, rows: [Int], objective: FixerObjective,
        options: FixOptions
    ) throws {
        let head = net.headParameters
        let kept = net.trainable
        net.trainable = head
        defer { net.trainable = kept }
        var adam = FixerAdam(learningRate: Float(options.learningRate) * 10, shapes: head.map { net.values[$0] })
        var rng = SplitMix64(seed: options.seed ^ 0x5741_524D)
        var trace = Trace(network: net)
        var grads = net.zeroAccumulators()
        var gaps = FixerObjective.GapEstimate()
        let order = stratifiedOrder(rows, rowGroups: data.rowGroups, labels: data.labels, rng: &rng)
        for batch in batches(order, size: options.batchSize) {
            let eval = forward(net, &trace, batch: batch, data: data, objective: objective, weights: nil, gaps: &gaps)
            guard eval.total.isFinite else {
                throw FairAuditError.invalidInput(
                    path: data.source, reason: "the loss became \(eval.total) while fitting the new head")
            }
            gradients(net, trace, dLogits: eval.dLogits, into: &grads)
            adam.update(&net.values, grads: grads, indices: head)
        }
    }
}

extension Network {
    /// Indices into `values` of the last dense layer's kernel and bias (its
    /// bias alone when it was factorized: the factors belong to the body).
    var headParameters: [Int] {
        for node in nodes.reversed() {
            if node.op is FactorizedDenseOp { return node.params[.bias].map { [$0] } ?? [] }
            if node.op is DenseOp { return [node.params[.kernel], node.params[.bias]].compactMap { $0 } }
        }
        return []
    }
}
