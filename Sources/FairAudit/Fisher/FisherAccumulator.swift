import Foundation

/// Sums of per-sample squared gradients over rows fed in any number of
/// pieces (chunks of a stream, shards): per observed group, and per
/// permutation round and null group (``FisherNull``), every trainable
/// tensor's `Σ_n (∂ℓ_n/∂θ)²` in double precision, with the rows behind each.
/// Each chunk runs forward and backward once; its squared gradients go into
/// every group's and round's sums in the same pass (weight columns of
/// ``LayerOp/accumulateSquaredSampleGrads``: the observed groups, then one
/// per pattern of null groups over a few rounds, ``FisherNullColumns``), so
/// rounds recompute nothing.
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
    /// Columns: observed groups, then the permutation rounds' (``FisherNullColumns``).
    private var sums: FisherSums
    private let layout: FisherNullColumns
    /// Each thread's sums since the last ``settle()``, kept from call to call
    /// (a stream adds many short runs) and added into `sums` in thread order.
    private var parts: [FisherSums] = []
    private var index: [String: Int] = [:]
    private let batchSize: Int

    /// An empty accumulator. Batches of 128 rows measured fastest on the Adult MLP;
    /// `roundsPerTuple` lays the null's columns out (``FisherNullColumns``).
    public init(
        network: Network, kind: FisherKind, null: FisherNull?, batchSize: Int = 128, roundsPerTuple: Int = 1
    ) {
        self.network = network
        self.kind = kind
        self.null = null
        self.batchSize = max(1, batchSize)
        nullRows = (0..<(null?.rounds ?? 0)).map { _ in [Int](repeating: 0, count: null?.counts.count ?? 0) }
        let counts = network.trainable.map { network.values[$0].count }
        layout = FisherNullColumns(null: null, roundsPerTuple: roundsPerTuple)
        sums = FisherSums(counts: counts, columns: layout.count)
    }

    private var nullColumns: Int { layout.count }

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
        let layout = self.layout
        let tuples = layout.starts.count
        let slots = buckets
        while parts.count < threads { parts.append(FisherSums(counts: sums.counts, columns: columns)) }
        let threadSums = parts
        _ = parallelMap(threads) { p -> Bool in
            let part = threadSums[p]
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
                    for t in 0..<tuples {
                        if let c = layout.column(tuple: t, draw: { Int(drawn[n * rounds + $0]) }) {
                            w[o + groups + c] = 1
                        }
                    }
                }
                work.membership = Membership(rows: batch, columns: columns, weights: w)
                x.withUnsafeBufferPointer { xb in
                    net.accumulateFisher(
                        xb, labels: y, rows: all[...], kind: kind, into: part, column: 0, workspace: &work)
                }
            }
            return true
        }
    }

    /// Adds every thread's sums into `sums`, in thread order, and clears them.
    private func settle() {
        for part in parts {
            sums.add(part)
            part.clear()
        }
    }

    /// The column of observed group `name`, adding it (and widening the sums) when new.
    private func column(of name: String) -> Int {
        if let c = index[name] { return c }
        let c = groupNames.count
        // Observed columns come first: insert one before the null columns.
        sums = sums.inserting(column: c)
        parts = parts.map { $0.inserting(column: c) }
        index[name] = c
        groupNames.append(name)
        groupRows.append(0)
        return c
    }

    /// Observed group `name`'s sums per trainable tensor (nil when unseen).
    public func groupSums(_ name: String) -> [[Double]]? {
        guard let c = index[name] else { return nil }
        settle()
        return sums.counts.indices.map { sums.sums(slot: $0, column: c) }
    }

    /// Round `round`'s sums of null group `group` per trainable tensor; nil
    /// for the derived (largest) null group.
    public func nullSums(round: Int, group: Int) -> [[Double]]? {
        guard let columns = layout.columns(round: round, group: group) else { return nil }
        settle()
        let first = groupNames.count
        return sums.counts.indices.map { s in
            var total = [Double](repeating: 0, count: sums.counts[s])
            for c in columns {
                let p = sums.pointer(slot: s, column: first + c)
                for i in total.indices { total[i] += p[i] }
            }
            return total
        }
    }
}
