import Foundation

extension Fixer {
    /// Sets up the trainable parameters for `method`: `finetune` trains every
    /// kernel and bias; the low-rank methods replace each dense kernel with
    /// `min(in, out) > r` by factors `A`, `B` (Fisher-weighted for the default
    /// method, plain for `lowrank`; ``Network/factorize(node:a:b:rank:)``) and
    /// train those, every bias, and the whole layers left (unless
    /// `freezeUnfactorized`). Returns the ranks by kernel name.
    static func prepare(_ net: inout Network, graph: ModelGraph, method: FixOptions.Method, options: FixOptions,
                        data: LabeledData, trainRows: [Int], warnings: inout [String]) throws -> [String: Int] {
        guard method != .finetune else { return [:] }
        let denses = net.fixerDenses
        var rowWeights: [Int: [Float]] = [:]
        if method == .neutralizedLowrank {
            let fisher = try net.groupFisher(features: gather(data.features, rows: trainRows, width: net.inputWidth),
                                             labels: trainRows.map { data.labels[$0] },
                                             rowGroups: trainRows.map { data.rowGroups[$0] }, groupNames: data.groupNames,
                                             kind: options.fisherKind, batchSize: max(options.batchSize, 1024))
            let present = fisher.counts.indices.filter { fisher.counts[$0] > 0 }
            for dense in denses {
                guard let slot = net.trainable.firstIndex(of: dense.kernel) else { continue }
                let perGroup = present.map { net.inOut(fisher.values[$0][slot], dense) }
                var pooled: [Float]?
                if options.neutralize == .none {
                    let total = Float(present.reduce(0) { $0 + fisher.counts[$1] })
                    var sum = [Float](repeating: 0, count: dense.rows * dense.cols)
                    for (g, values) in zip(present, perGroup) where values.count == sum.count {
                        let share = Float(fisher.counts[g]) / total
                        for i in 0..<sum.count { sum[i] += share * values[i] }
                    }
                    pooled = sum
                }
                let importance = Importance.neutralized(perGroup: perGroup, pooled: pooled, mode: options.neutralize)
                rowWeights[dense.node] = Importance.rowSums(importance, rows: dense.rows, cols: dense.cols)
            }
        }
        let rule: LowRank.RankRule = options.energy.map { .energy($0) } ?? .fixed(options.rank)
        var ranks: [String: Int] = [:]
        for dense in denses {
            let kernelName = net.parameterNames[dense.kernel]
            let layerName = graph.layers?.first { $0.weights[.kernel] == kernelName }?.name ?? kernelName
            let smaller = min(dense.rows, dense.cols)
            if case .fixed(let r) = rule, r >= smaller {
                warnings.append("layer '\(layerName)' (\(dense.rows)×\(dense.cols)) is left whole: rank \(r) is not below its smaller dimension \(smaller)")
                if options.freezeUnfactorized { net.trainable.removeAll { $0 == dense.kernel } }
                continue
            }
            let f = try LowRank.factorize(net.inOut(net.values[dense.kernel], dense), rows: dense.rows, cols: dense.cols,
                                          rowWeights: rowWeights[dense.node], rule: rule, name: kernelName)
            if f.rank >= smaller {
                warnings.append("layer '\(layerName)' (\(dense.rows)×\(dense.cols)) is left whole: energy \(options.energy ?? 0) needs its full rank \(smaller)")
                if options.freezeUnfactorized { net.trainable.removeAll { $0 == dense.kernel } }
                continue
            }
            net.factorize(node: dense.node, a: f.a, b: f.b, rank: f.rank)
            ranks[kernelName] = f.rank
        }
        guard !ranks.isEmpty else {
            if let energy = options.energy {
                throw FairAuditError.invalidInput(path: graph.source?.path ?? "the model",
                    reason: "no dense layer can be factorized at energy \(energy): keeping that share of Σσ² needs every kernel's full rank (use a smaller --energy such as 0.9, or --method finetune)")
            }
            throw FairAuditError.invalidInput(path: graph.source?.path ?? "the model",
                reason: "no dense layer can be factorized at rank \(options.rank): every layer's smaller dimension is at most that (use a smaller --rank, or --method finetune)")
        }
        return ranks
    }
}
