import CBLAS
import Foundation

/// Neutralized low-rank fine-tuning (docs/method.md §3–6) and its baselines.
public enum Fixer {
    /// Fine-tunes `graph` on `data` as `options` say and returns the graph with
    /// the trained kernels and biases written back in place (docs/method.md §6).
    ///
    /// Steps: stratified validation split (group × label, seeded); for the
    /// low-rank methods, the per-group Fisher on the training split, the
    /// neutralized importance and a (Fisher-)weighted SVD of every dense kernel
    /// with `min(in, out) > r`; then `epochs` passes of Adam on mini-batches in
    /// a seeded order stratified by group × label (`stratifiedOrder`), keeping
    /// the epoch with the lowest validation objective.
    /// `progress` is called after every epoch. Throws when the loss turns NaN.
    ///
    /// OpenBLAS runs single-threaded (`BLASThreads.single`, set once per
    /// process as for the executor): its threaded kernels may sum in a
    /// different order, and the run must be bit-identical for a seed; at
    /// these sizes one thread is also faster.
    public static func fix(
        graph: ModelGraph, data: LabeledData, options: FixOptions,
        progress: (EpochLog) -> Void = { _ in }
    ) throws -> FixResult {
        BLASThreads.single
        return try run(graph: graph, data: data, options: options, progress: progress)
    }

    static func run(
        graph: ModelGraph, data: LabeledData, options: FixOptions,
        progress: (EpochLog) -> Void
    ) throws -> FixResult {
        try options.validate()
        let graph = try startingGraph(graph, options: options)
        var net = try Network(fixing: graph)
        // What full fine-tuning trains, before --layers/--freeze and factorization.
        let fullCount = net.trainable.reduce(0) { $0 + net.values[$1].count }
        try selectLayers(&net, options: options, model: graph.source?.path ?? "the model")
        try check(data, width: net.inputWidth)
        try net.checkEmbeddingIds(features: data.features, rows: data.rowCount)
        let split = stratifiedSplit(
            rowGroups: data.rowGroups, labels: data.labels,
            fraction: options.validationFraction, seed: options.seed)
        guard !split.train.isEmpty else {
            throw FairAuditError.invalidInput(
                path: data.source, reason: "no rows are left to train on after the validation split")
        }
        let objective = FixerObjective(loss: net.loss, penalty: options.penalty, lambda: options.lambda)
        let trainWeights = options.balance ? balanceWeights(rows: split.train, groups: data.rowGroups) : nil
        let valWeights = options.balance ? balanceWeights(rows: split.validation, groups: data.rowGroups) : nil
        let validation = ValidationSet(
            data, rows: split.validation, width: net.inputWidth, weights: valWeights,
            options: options)
        let (pretrained, before) = validation.evaluate(net, objective)

        var warnings: [String] = []
        if let note = validationNoiseNote(before, targets: options.targets, groupNames: data.groupNames) {
            warnings.append(note)
        }
        if options.newHead != nil && options.method == .neutralizedLowrank && !options.freezeBody {
            // The importance is the new task's: Fisher through a head fitted to it first (method §5, "New head").
            try warmHead(&net, data: data, rows: split.train, objective: objective, options: options)
        }
        let ranks =
            options.freezeBody
            ? [:]
            : try prepare(
                &net, graph: graph, method: options.method, options: options, data: data,
                trainRows: split.train, warnings: &warnings)
        if options.freezeBody { net.trainable = net.headParameters }
        let factorized =
            options.method == .finetune
            ? pretrained
            : validation.evaluate(net, objective).0
        let trainableCount = net.trainable.reduce(0) { $0 + net.values[$1].count }

        var adam = FixerAdam(learningRate: Float(options.learningRate), shapes: net.trainableValues)
        var rng = SplitMix64(seed: options.seed ^ 0xD1B5_4A32_D192_ED03)
        var gaps = FixerObjective.GapEstimate()
        var constraints = FixerConstraints(
            targets: options.targets,
            groups: comparedGroups(split.train, data: data, minimum: options.minGroupSize),
            threshold: options.threshold, margin: options.targetMargin)
        var logs: [EpochLog] = []
        var best = (epoch: options.epochs, loss: Double.infinity, params: net.values)
        var epochParams: [[[Float]]] = []
        var averager = constraints.isEmpty ? nil : WeightAverage(net.values, indices: net.trainable, decay: 0.99)
        var trace = Trace(network: net)
        var grads = net.zeroAccumulators()
        for epoch in 1...options.epochs {
            let started = DispatchTime.now().uptimeNanoseconds
            constraints.temperature = FixerConstraints.temperature(epoch: epoch, of: options.epochs)
            let order = stratifiedOrder(split.train, rowGroups: data.rowGroups, labels: data.labels, rng: &rng)
            var sum = 0.0
            for batch in batches(order, size: options.batchSize) {
                var eval = forward(
                    net, &trace, batch: batch, data: data, objective: objective, weights: trainWeights,
                    gaps: &gaps)
                guard eval.total.isFinite else {
                    throw FairAuditError.invalidInput(
                        path: data.source,
                        reason:
                            "the training loss became \(eval.total) in epoch \(epoch), so fine-tuning stopped (check the model for NaN weights, or try a smaller learning rate)"
                    )
                }
                if !constraints.isEmpty {
                    applyConstraints(
                        &constraints, objective: objective, logits: net.logits(trace), batch: batch,
                        data: data, into: &eval.dLogits)
                }
                sum += eval.total * Double(batch.count)
                gradients(net, trace, dLogits: eval.dLogits, into: &grads)
                adam.update(&net.values, grads: grads, indices: net.trainable)
                averager?.add(net.values, indices: net.trainable)
            }
            constraints.endEpoch()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let raw = net.values
            if let averager { averager.write(into: &net.values, indices: net.trainable) }
            let (val, snapshot) = validation.evaluate(net, objective)
            if !split.validation.isEmpty && !val.isFinite {
                throw FairAuditError.invalidInput(
                    path: data.source,
                    reason: "the validation loss became \(val) in epoch \(epoch), so fine-tuning stopped")
            }
            // The validation offset moves the constraints' aim for the next epochs (method §5).
            if let snapshot { constraints.observeValidation(snapshot, epoch: epoch) }
            let log = EpochLog(
                epoch: epoch, trainLoss: sum / Double(order.count), validationLoss: val, seconds: seconds,
                validation: snapshot)
            logs.append(log)
            progress(log)
            if options.targets.isEmpty, split.validation.isEmpty || val < best.loss {
                best = (epoch, split.validation.isEmpty ? .infinity : val, net.values)
            }
            epochParams.append(options.targets.isEmpty ? [] : net.values)
            net.values = raw
        }
        let (chosen, outcome) = select(logs, before: before, options: options, lowestLoss: best.epoch)
        net.values = options.targets.isEmpty ? best.params : epochParams[chosen - 1]
        var out = graph
        try net.write(into: &out)
        return FixResult(
            graph: out, trainableParameters: trainableCount, fullFineTuneParameters: fullCount,
            epochs: logs, chosenEpoch: chosen, ranks: ranks, pretrainedValidationLoss: pretrained,
            factorizedValidationLoss: factorized,
            trainRows: split.train.count, validationRows: split.validation.count,
            validationIndices: split.validation, warnings: warnings, validationBefore: before,
            outcome: outcome, targets: options.targets, multipliers: constraints.multipliers)
    }

    /// Rows `rows` of a row-major matrix of `width` columns, stacked.
    static func gather(_ m: [Float], rows: [Int], width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * width)
        m.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for (r, n) in rows.enumerated() { (d + r * width).update(from: s + n * width, count: width) }
            }
        }
        return out
    }

    /// `w_n = N / (G · N_g)` over `rows` (G the groups present), so each group
    /// carries the same total weight; indexed by row number.
    static func balanceWeights(rows: [Int], groups: [Int]) -> [Float] {
        var counts: [Int: Int] = [:]
        for n in rows { counts[groups[n], default: 0] += 1 }
        var w = [Float](repeating: 0, count: groups.count)
        for n in rows { w[n] = Float(Double(rows.count) / (Double(counts.count) * Double(counts[groups[n]] ?? 1))) }
        return w
    }

    /// The validation rows gathered once (features, labels, groups,
    /// weights), so each epoch's objective only runs the network.
    struct ValidationSet {
        let rows: Int
        let features: [Float], labels: [Float], groups: [Int], weights: [Float]?

        let groupCount: Int, threshold: Double, minGroupSize: Int

        init(_ data: LabeledData, rows: [Int], width: Int, weights: [Float]?, options: FixOptions) {
            self.rows = rows.count
            groupCount = data.groupNames.count
            threshold = options.threshold
            minGroupSize = options.minGroupSize
            features = Fixer.gather(data.features, rows: rows, width: width)
            labels = rows.map { data.labels[$0] }
            groups = rows.map { data.rowGroups[$0] }
            self.weights = weights.map { w in rows.map { w[$0] } }
        }

        /// The objective (NLL + penalty over the whole split) and the fairness
        /// metrics at the threshold, from one forward pass; NaN and nil when empty.
        func evaluate(_ net: Network, _ objective: FixerObjective) -> (Double, FairnessSnapshot?) {
            guard rows > 0 else { return (.nan, nil) }
            let z = net.logits(features, rows: rows)
            let loss = objective.evaluate(logits: z, rows: rows, labels: labels, groups: groups, weights: weights).total
            let snapshot = FairnessSnapshot(
                scores: objective.loss.positive(z, rows: rows), labels: labels, rowGroups: groups,
                groupCount: groupCount, threshold: threshold, minGroupSize: minGroupSize)
            return (loss, snapshot)
        }
    }

    /// Checks the data fits the model and is internally consistent.
    static func check(_ data: LabeledData, width: Int) throws {
        func bad(_ r: String) -> FairAuditError { .invalidInput(path: data.source, reason: r) }
        guard data.rowCount > 0 else { throw bad("holds no rows") }
        try data.requireTwoGroups(for: "fix")
        guard data.featureCount == width else {
            throw bad("has \(data.featureCount) feature columns, the model takes \(width)")
        }
        guard data.features.count == data.rowCount * width, data.rowGroups.count == data.rowCount else {
            throw bad("features, labels and groups disagree in length")
        }
        guard data.rowGroups.allSatisfy({ $0 >= 0 && $0 < data.groupNames.count }) else {
            throw bad("a row's group index is out of range")
        }
        guard data.labels.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw bad("labels must be 0 or 1") }
        guard data.features.allSatisfy({ $0.isFinite }) else { throw bad("a feature value is NaN or infinite") }
    }
}
