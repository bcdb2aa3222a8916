import Foundation

/// Sums of per-sample squared gradients over rows fed in any number of
/// pieces (chunks of a stream, shards): per observed group, and per
/// permutation round and null group (``FisherNull``), every trainable
/// tensor's `Σ_n (∂ℓ_n/∂θ)²` in double precision, with the rows behind each.
/// Each chunk runs forward and backward once; its squared gradients go into
/// every group's and round's sums in the same pass (one weight column each,
/// ``LayerOp/accumulateSquaredSampleGrads``), so rounds recompute nothing.
public final class FisherAccumulator: @unchecked Sendable {
    /// The model.
    public let network: Network
    /// Which labels the Fisher's gradients take.
    public let kind: FisherKind
    /// The permutation null (nil: no rounds).
    public let null: FisherNull?
    /// Observed groups in the order first seen.
    public private(set) var groupNames: [String] = []
    /// Rows per observed group.
    public private(set) var groupRows: [Int] = []
    /// `[round][null group]`: rows drawn into each null group.
    public private(set) var nullRows: [[Int]]
    /// Columns: observed groups, then for each round the summed null groups.
    private var sums: FisherSums
    private var index: [String: Int] = [:]
    private let batchSize: Int

    /// An empty accumulator. Batches of 128 rows measured fastest on the Adult MLP.
    public init(network: Network, kind: FisherKind, null: FisherNull?, batchSize: Int = 128) {
        self.network = network
        self.kind = kind
        self.null = null
        self.batchSize = max(1, batchSize)
        nullRows = (0..<(null?.rounds ?? 0)).map { _ in [Int](repeating: 0, count: null?.counts.count ?? 0) }
        sums = FisherSums(
            counts: network.trainable.map { network.values[$0].count },
            columns: (null?.rounds ?? 0) * (null?.summed.count ?? 0))
    }

    private var nullColumns: Int { (null?.rounds ?? 0) * (null?.summed.count ?? 0) }

    /// Adds `rows` rows: features (`rows × inputWidth`), labels, each row's
    /// group (an index into `groupNames`) and global id.
    public func add(
        features: [Float], labels: [Float], rowGroups: [Int], groupNames names: [String],
        rowIDs: [UInt64]
    ) throws {
        let rows = labels.count
        try network.checkInput(features: features, rows: rows)
        try network.checkLabels(labels, rows: rows)
        guard rowGroups.count == rows, rowIDs.count == rows else {
            throw FairAuditError.unsupportedModel(
                reason: "got \(rowGroups.count) group indices and \(rowIDs.count) row ids for \(rows) rows")
        }
        if let bad = rowGroups.first(where: { $0 < 0 || $0 >= names.count }) {
            throw FairAuditError.unsupportedModel(
                reason: "a row's group index \(bad) is outside the \(names.count) groups")
        }
        let local = names.map(column(of:))
        let groups = groupNames.count
        let columns = groups + nullColumns
        var summedRank: [Int] = []
        if let null {
            summedRank = [Int](repeating: -1, count: null.counts.count)
            for (k, h) in null.summed.enumerated() { summedRank[h] = k }
        }
        let perRound = null?.summed.count ?? 0
        // Each row's null group in every round, drawn once.
        var draws = [Int32](repeating: 0, count: rows * (null?.rounds ?? 0))
        if let null {
            for n in 0..<rows {
                for r in 0..<null.rounds { draws[n * null.rounds + r] = Int32(null.group(round: r, id: rowIDs[n])) }
            }
            for n in 0..<rows { for r in 0..<null.rounds { nullRows[r][Int(draws[n * null.rounds + r])] += 1 } }
        }
        for g in rowGroups { groupRows[local[g]] += 1 }
        // Blocks of exactly `batch` rows, a row at slot `id mod batch` (the rest zero rows of weight 0):
        // a row's forward and backward pass then run at the same place of a GEMM of the same shape on
        // any shard, so its float32 gradient is the same to the bit however the rows were split.
        let batch = batchSize
        let rounds = null?.rounds ?? 0
        let width = network.inputWidth
        var buckets = [[Int]](repeating: [], count: batch)
        for n in 0..<rows { buckets[Int(rowIDs[n] % UInt64(batch))].append(n) }
        let blocks = buckets.map(\.count).max() ?? 0
        let threads = blocks >= 4 ? 2 : 1
        let net = network
        let kind = self.kind
        let drawn = draws
        let ranks = summedRank
        let slots = buckets
        let partials = parallelMap(threads) { p -> FisherSums in
            let part = FisherSums(counts: net.trainable.map { net.values[$0].count }, columns: columns)
            var x = [Float](repeating: 0, count: batch * width)
            var y = [Float](repeating: 0, count: batch)
            var w = [Float](repeating: 0, count: batch * columns)
            var work = FisherWorkspace(network: net, plan: net.backwardPlan)
            let all = Array(0..<batch)
            for block in parallelRanges(rows: blocks, parts: threads)[p] {
                for i in x.indices { x[i] = 0 }
                for i in y.indices { y[i] = 0 }
                for i in w.indices { w[i] = 0 }
                for slot in 0..<batch where block < slots[slot].count {
                    let n = slots[slot][block]
                    let o = slot * columns
                    features.withUnsafeBufferPointer { f in
                        x.withUnsafeMutableBufferPointer { dst in
                            guard let s = f.baseAddress, let d = dst.baseAddress else { return }
                            (d + slot * width).update(from: s + n * width, count: width)
                        }
                    }
                    y[slot] = labels[n]
                    w[o + local[rowGroups[n]]] = 1
                    for r in 0..<rounds {
                        let k = ranks[Int(drawn[n * rounds + r])]
                        if k >= 0 { w[o + groups + r * perRound + k] = 1 }
                    }
                }
                work.membership = Membership(rows: batch, columns: columns, weights: w)
                x.withUnsafeBufferPointer { xb in
                    net.accumulateFisher(
                        xb, labels: y, rows: all[...], kind: kind, into: part, column: 0, workspace: &work)
                }
            }
            return part
        }
        for part in partials { sums.add(part) }
    }

    /// The column of observed group `name`, adding it (and widening the sums) when new.
    private func column(of name: String) -> Int {
        if let c = index[name] { return c }
        let c = groupNames.count
        // Observed columns come first: insert one before the null columns.
        let wider = FisherSums(counts: sums.counts, columns: sums.columns + 1)
        for s in sums.counts.indices {
            for old in 0..<sums.columns {
                let new = old < c ? old : old + 1
                wider.pointer(slot: s, column: new).update(
                    from: sums.pointer(slot: s, column: old), count: sums.counts[s])
            }
        }
        sums = wider
        index[name] = c
        groupNames.append(name)
        groupRows.append(0)
        return c
    }

    /// Observed group `name`'s sums per trainable tensor (nil when unseen).
    public func groupSums(_ name: String) -> [[Double]]? {
        guard let c = index[name] else { return nil }
        return sums.counts.indices.map { sums.sums(slot: $0, column: c) }
    }

    /// Round `round`'s sums of null group `group` per trainable tensor; nil
    /// for the derived (largest) null group.
    public func nullSums(round: Int, group: Int) -> [[Double]]? {
        guard let null, let k = null.summed.firstIndex(of: group) else { return nil }
        let c = groupNames.count + round * null.summed.count + k
        return sums.counts.indices.map { sums.sums(slot: $0, column: c) }
    }
}
