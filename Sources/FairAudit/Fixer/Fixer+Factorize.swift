import Foundation

extension Fixer {
    /// Sets up the trainable parameters for `method`: `finetune` trains every
    /// kernel and bias; the low-rank methods replace each dense kernel with
    /// `min(in, out) > r` by factors `A`, `B` (Fisher-weighted for the default
    /// method, plain for `lowrank`) and train those, every bias, and the
    /// whole layers left (unless `freezeUnfactorized`). Returns the ranks by kernel name.
    static func prepare(_ net: inout FixerNetwork, method: FixOptions.Method, options: FixOptions,
                        data: LabeledData, trainRows: [Int], warnings: inout [String]) throws -> [String: Int] {
        guard method != .finetune else { return [:] }
        var rowWeights: [Int: [Float]] = [:]
        if method == .neutralizedLowrank {
            let fisher = net.groupFisher(features: data.features, rows: trainRows, labels: data.labels,
                                         groups: data.rowGroups, groupCount: data.groupNames.count,
                                         kind: options.fisherKind, batchSize: max(options.batchSize, 1024))
            let present = fisher.counts.indices.filter { fisher.counts[$0] > 0 }
            for dense in net.denses {
                guard let k = dense.kernel else { continue }
                let perGroup = present.map { fisher.values[$0][k] }
                var pooled: [Float]?
                if options.neutralize == .none {
                    let total = Float(present.reduce(0) { $0 + fisher.counts[$1] })
                    var sum = [Float](repeating: 0, count: net.params[k].count)
                    for g in present {
                        let share = Float(fisher.counts[g]) / total
                        for i in 0..<sum.count { sum[i] += share * fisher.values[g][k][i] }
                    }
                    pooled = sum
                }
                let importance = Importance.neutralized(perGroup: perGroup, pooled: pooled, mode: options.neutralize)
                rowWeights[k] = Importance.rowSums(importance, rows: dense.rows, cols: dense.cols)
            }
        }
        let rule: LowRank.RankRule = options.energy.map { .energy($0) } ?? .fixed(options.rank)
        var ranks: [String: Int] = [:]
        for d in net.denses.indices {
            let dense = net.denses[d]
            guard let k = dense.kernel else { continue }
            let smaller = min(dense.rows, dense.cols)
            if case .fixed(let r) = rule, r >= smaller {
                warnings.append("layer '\(dense.layerName)' (\(dense.rows)×\(dense.cols)) is left whole: rank \(r) is not below its smaller dimension \(smaller)")
                net.trainable[k] = !options.freezeUnfactorized
                continue
            }
            let f = try LowRank.factorize(net.params[k], rows: dense.rows, cols: dense.cols,
                                          rowWeights: rowWeights[k], rule: rule, name: dense.kernelName)
            if f.rank >= smaller {
                warnings.append("layer '\(dense.layerName)' (\(dense.rows)×\(dense.cols)) is left whole: energy \(options.energy ?? 0) needs its full rank \(smaller)")
                net.trainable[k] = !options.freezeUnfactorized
                continue
            }
            let a = net.addParam(f.a, name: dense.kernelName + "#A", trainable: true)
            let b = net.addParam(f.b, name: dense.kernelName + "#B", trainable: true)
            net.trainable[k] = false
            net.denses[d].kernel = nil
            net.denses[d].factors = (a, b, f.rank)
            ranks[dense.kernelName] = f.rank
        }
        guard !ranks.isEmpty else {
            let what = options.energy.map { "energy \($0)" } ?? "rank \(options.rank)"
            throw FairAuditError.unsupportedModel(
                reason: "no dense layer can be factorized at \(what): every layer's smaller dimension is at most that (use a smaller --rank, or --method finetune)")
        }
        return ranks
    }

    /// `graph` with each trained kernel and bias replaced in place: a factorized
    /// kernel as the dense product `A·B` (transposed back for a PyTorch `out×in`
    /// weight), encoded in the tensor's own dtype and byte order. Frozen
    /// tensors and everything else are left as they were.
    static func export(_ net: FixerNetwork, into graph: ModelGraph) throws -> ModelGraph {
        var out = graph
        for dense in net.denses {
            var w: [Float]?
            if let (a, b, rank) = dense.factors {
                w = LowRankFactors(rows: dense.rows, cols: dense.cols, rank: rank, a: net.params[a], b: net.params[b],
                                   singularValues: []).product()
            } else if let k = dense.kernel, net.trainable[k] {
                w = net.params[k]
            }
            if var w {
                if dense.layout == .outIn { w = FixerNetwork.transpose(w, rows: dense.rows, cols: dense.cols) }
                try out.replaceValues(of: dense.kernelName, with: w)
            }
            if let bias = dense.bias, net.trainable[bias], let name = dense.biasName {
                try out.replaceValues(of: name, with: net.params[bias])
            }
        }
        return out
    }
}
