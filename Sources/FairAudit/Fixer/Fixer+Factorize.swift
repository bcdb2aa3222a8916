import Foundation

extension Fixer {
    /// Applies `--layers` / `--freeze`: with `layers`, exactly the named
    /// layers' trainable roles (normalization γ and β included) and a new
    /// head's train; the `freeze` layers' never do. Throws naming a layer the model does not have.
    static func selectLayers(_ net: inout Network, options: FixOptions, model: String) throws {
        guard options.layers != nil || !options.freeze.isEmpty else { return }
        let names = Set(net.nodes.map(\.name))
        for name in (options.layers ?? []) + options.freeze where !names.contains(name) {
            throw FairAuditError.invalidInput(
                path: model,
                reason: "has no layer '\(name)' (layers: \(net.nodes.map(\.name).joined(separator: ", ")))")
        }
        func params(_ keep: (String) -> Bool) -> Set<Int> {
            Set(net.nodes.filter { keep($0.name) }.flatMap { $0.params.values })
        }
        if let layers = options.layers {
            // Every trainable role of the named layers, γ and β included.
            var kept = params { layers.contains($0) }.filter { net.parameterRoles[$0].isTrainable }
            if options.newHead != nil { kept.formUnion(net.headParameters) }
            net.trainable = kept.sorted()
        }
        let frozen = params { options.freeze.contains($0) }
        net.trainable.removeAll { frozen.contains($0) }
        guard !net.trainable.isEmpty else {
            throw FairAuditError.invalidInput(path: model, reason: "--layers/--freeze leave nothing to train")
        }
    }

    /// Sets up the trainable parameters for `method`: `finetune` trains every
    /// trainable tensor whole; the low-rank methods replace each trainable
    /// matrix-weighted layer's weight (dense kernels, convolution kernels,
    /// attention projections; embedding tables with `factorizeEmbeddings`)
    /// whose matrix view has `min(rows, cols) > r` by factors `A`, `B`
    /// (Fisher-weighted for the default method, plain for `lowrank`;
    /// ``Network/factorize(node:a:b:rank:)``) and train those, every bias,
    /// γ and β, and the weights left whole (unless `freezeUnfactorized`).
    /// Returns the ranks by weight name.
    static func prepare(
        _ net: inout Network, graph: ModelGraph, method: FixOptions.Method, options: FixOptions,
        data: LabeledData, trainRows: [Int], warnings: inout [String]
    ) throws -> [String: Int] {
        guard method != .finetune else { return [:] }
        let matrices = net.fixerMatrices.filter {
            net.trainable.contains($0.weight) && (options.factorizeEmbeddings || !$0.isEmbedding)
        }
        var rowWeights: [Int: [Float]] = [:]
        if method == .neutralizedLowrank {
            rowWeights = try neutralizedRowWeights(
                net, matrices: matrices, options: options, data: data, trainRows: trainRows)
        }
        let rule: LowRank.RankRule = options.energy.map { .energy($0) } ?? .fixed(options.rank)
        var ranks: [String: Int] = [:]
        for m in matrices {
            let weightName = net.parameterNames[m.weight]
            // An attention layer's projections are named by their role.
            let layer = "layer '\(net.nodes[m.node].name)'" + (m.className == "MultiHeadAttention" ? " \(m.role)" : "")
            let smaller = min(m.rows, m.cols)
            if case .fixed(let r) = rule, r >= smaller {
                warnings.append(
                    "\(layer) (\(m.rows)×\(m.cols)) is left whole: rank \(r) is not below its smaller dimension \(smaller)"
                )
                if options.freezeUnfactorized { net.trainable.removeAll { $0 == m.weight } }
                continue
            }
            let f = try LowRank.factorize(
                net.matrix(m), rows: m.rows, cols: m.cols,
                rowWeights: rowWeights[m.weight], rule: rule, name: weightName)
            if f.rank >= smaller {
                warnings.append(
                    "\(layer) (\(m.rows)×\(m.cols)) is left whole: energy \(options.energy ?? 0) needs its full rank \(smaller)"
                )
                if options.freezeUnfactorized { net.trainable.removeAll { $0 == m.weight } }
                continue
            }
            net.factorize(node: m.node, role: m.role, a: f.a, b: f.b, rank: f.rank)
            ranks[weightName] = f.rank
        }
        guard !ranks.isEmpty else {
            if let energy = options.energy {
                throw FairAuditError.invalidInput(
                    path: graph.source?.path ?? "the model",
                    reason:
                        "no layer can be factorized at energy \(energy): keeping that share of Σσ² needs every weight's full rank (use a smaller --energy such as 0.9, or --method finetune)"
                )
            }
            throw FairAuditError.invalidInput(
                path: graph.source?.path ?? "the model",
                reason:
                    "no layer can be factorized at rank \(options.rank): every trained weight's smaller dimension is at most that (use a smaller --rank, or --method finetune)"
            )
        }
        return ranks
    }

    /// Row weights `s_j = Σ_k I[j, k]` of each matrix from the neutralized
    /// per-group Fisher (docs/method.md §3–4), keyed by the weight's parameter index.
    static func neutralizedRowWeights(
        _ net: Network, matrices: [FixerMatrix], options: FixOptions, data: LabeledData,
        trainRows: [Int]
    ) throws -> [Int: [Float]] {
        let fisher = try net.groupFisher(
            features: gather(data.features, rows: trainRows, width: net.inputWidth),
            labels: trainRows.map { data.labels[$0] },
            rowGroups: trainRows.map { data.rowGroups[$0] }, groupNames: data.groupNames,
            kind: options.fisherKind, batchSize: max(options.batchSize, 1024))
        let present = fisher.counts.indices.filter { fisher.counts[$0] > 0 }
        var out: [Int: [Float]] = [:]
        for m in matrices {
            guard let slot = net.trainable.firstIndex(of: m.weight) else { continue }
            let perGroup = present.map { net.matrix(fisher.values[$0][slot], m) }
            var pooled: [Float]?
            if options.neutralize == .none {
                let total = Float(present.reduce(0) { $0 + fisher.counts[$1] })
                var sum = [Float](repeating: 0, count: m.rows * m.cols)
                for (g, values) in zip(present, perGroup) where values.count == sum.count {
                    let share = Float(fisher.counts[g]) / total
                    for i in 0..<sum.count { sum[i] += share * values[i] }
                }
                pooled = sum
            }
            let importance = Importance.neutralized(perGroup: perGroup, pooled: pooled, mode: options.neutralize)
            out[m.weight] = Importance.rowSums(importance, rows: m.rows, cols: m.cols)
        }
        return out
    }
}
