import FairAudit
import Foundation

/// The fairness audit's sums, folded run by run while the rows are read
/// (``StreamingAudit``): per group the confusion cells and the score sum
/// (added in row order, as one pass over all rows adds them), and per
/// Poisson-bootstrap replicate the cells with every row weighted by its
/// draw, keyed by the row's id (``FairnessBootstrap/poissonCells(codes:rowIDs:groupCount:resamples:seed:threads:)``).
/// Groups are numbered as they first appear; ``partial(groupNames:groupParts:order:)``
/// puts them in the data's order. Nothing here grows with the rows.
public final class FairnessAccumulator: AuditAccumulator {
    let threshold: Double
    let resamples: Int
    let seed: UInt64
    let threads: Int
    /// `4·g + 2y + ŷ` → rows, per stream group.
    private(set) var cells: [Int] = []
    /// Σ score per stream group, in row order.
    private(set) var scoreSums: [Double] = []
    /// Replicate `b`'s cell `c` at `b·stride + c`, `stride = 4·capacity`.
    private var boot: [Int] = []
    private var capacity = 0
    private let keys: [UInt64]

    /// Empty sums for `resamples` replicates seeded by `seed`, predicting
    /// positive at `score ≥ threshold`; the bootstrap runs on `threads` threads.
    public init(threshold: Double, resamples: Int, seed: UInt64, threads: Int = 2) throws {
        guard resamples >= 0 else { throw FairnessError.invalidOption(name: "bootstrap", reason: "must be ≥ 0") }
        guard threshold.isFinite else { throw FairnessError.invalidOption(name: "threshold", reason: "must be finite") }
        self.threshold = threshold
        self.resamples = resamples
        self.seed = seed
        self.threads = max(1, threads)
        keys = (0..<resamples).map { CounterRandom.key(seed: seed, stream: UInt64($0)) }
    }

    /// Stream groups seen so far.
    public var groupCount: Int { scoreSums.count }

    /// Makes room for groups `0..<count`, keeping every sum.
    private func grow(to count: Int) {
        guard count > groupCount else { return }
        cells += [Int](repeating: 0, count: 4 * (count - groupCount))
        scoreSums += [Double](repeating: 0, count: count - groupCount)
        guard count > capacity, resamples > 0 else { return }
        let newCapacity = max(count, 2 * capacity, 4)
        var wider = [Int](repeating: 0, count: resamples * 4 * newCapacity)
        for b in 0..<resamples {
            for c in 0..<(4 * capacity) { wider[b * 4 * newCapacity + c] = boot[b * 4 * capacity + c] }
        }
        boot = wider
        capacity = newCapacity
    }

    /// Adds a run of rows: checks each label is 0/1 and each group id is not
    /// negative (naming the row by its position among all rows), then adds
    /// the cells, the score sums and every replicate's weighted cells.
    public func fold(_ rows: AuditRows) throws {
        let n = rows.count
        guard n > 0 else { return }
        var codes = [Int32](repeating: 0, count: n)
        var top = groupCount
        for i in 0..<n {
            let g = rows.groups[i]
            guard g >= 0, g < Int(Int32.max / 4) else {
                throw FairnessError.groupOutOfRange(row: rows.firstRow + i, index: g, groupCount: top)
            }
            top = max(top, g + 1)
        }
        grow(to: top)
        for i in 0..<n {
            let g = rows.groups[i]
            let y = rows.labels[i]
            guard y == 0 || y == 1 else { throw FairnessError.nonBinaryLabel(row: rows.firstRow + i, value: y) }
            let s = Double(rows.scores[i])
            let code = 4 * g + (y == 1 ? 2 : 0) + (s >= threshold ? 1 : 0)
            codes[i] = Int32(code)
            cells[code] += 1
            scoreSums[g] += s
        }
        guard resamples > 0 else { return }
        let stride = 4 * capacity
        let workers = min(threads, resamples)
        let keys = self.keys
        let resamples = self.resamples
        let ids = SharedIDs(p: rows.rowIDs.baseAddress)
        boot.withUnsafeMutableBufferPointer { out in
            let shared = SharedCells(p: out.baseAddress)
            codes.withUnsafeBufferPointer { code in
                let sharedCodes = SharedCodes(p: code.baseAddress)
                DispatchQueue.concurrentPerform(iterations: workers) { t in
                    guard let o = shared.p, let c = sharedCodes.p, let id = ids.p else { return }
                    CounterRandom.poissonOneCDF.withUnsafeBufferPointer { cdf in
                        let p0 = cdf[0]
                        for b in (t * resamples / workers)..<((t + 1) * resamples / workers) {
                            let key = keys[b]
                            let row = o + b * stride
                            for i in 0..<n {
                                let u = CounterRandom.bits(key: key, counter: id[i])
                                if u < p0 { continue }
                                row[Int(c[i])] += CounterRandom.poissonOne(u, cdf: cdf)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The sums as a ``FairnessPartial`` with the groups in the data's
    /// order: stream group `s` becomes group `order[s]` of `groupNames`
    /// (split into `groupParts`).
    public func partial(groupNames: [String], groupParts: [[String]], order: [Int]) throws -> FairnessPartial {
        let g = groupNames.count
        guard order.count >= groupCount, order.allSatisfy({ $0 >= 0 && $0 < g }) else {
            throw FairnessError.invalidOption(
                name: "groups", reason: "has \(groupCount) groups in the rows but \(g) names")
        }
        var outCells = [Int](repeating: 0, count: 4 * g)
        var sums = [Double](repeating: 0, count: g)
        var outBoot = [Int](repeating: 0, count: resamples * 4 * g)
        for s in 0..<groupCount {
            let to = order[s]
            sums[to] = scoreSums[s]
            for c in 0..<4 { outCells[4 * to + c] = cells[4 * s + c] }
            for b in 0..<resamples {
                for c in 0..<4 { outBoot[b * 4 * g + 4 * to + c] = boot[b * 4 * capacity + 4 * s + c] }
            }
        }
        return try FairnessPartial(
            groupNames: groupNames, groupParts: groupParts, cells: outCells, scoreSums: sums,
            threshold: threshold, resamples: resamples, seed: seed, bootstrapCells: outBoot)
    }

    /// The fairness audit's result over every row folded.
    public func finish(_ end: AuditStreamEnd) throws -> AuditResult {
        let data = end.data
        end.progress(
            "fairness: \(data.rowCount) rows, \(data.groupNames.count) groups, \(resamples) bootstrap replicates")
        let p = try partial(
            groupNames: data.groupNames, groupParts: FairnessAudit.groupParts(data), order: end.groupOrder)
        return try FairnessAudit.result(p, options: end.options, groupColumns: data.groupColumns)
    }
}

/// The replicate cells, written by the bootstrap threads (each its own replicates).
private struct SharedCells: @unchecked Sendable { let p: UnsafeMutablePointer<Int>? }
/// A run's codes, read by the bootstrap threads.
private struct SharedCodes: @unchecked Sendable { let p: UnsafePointer<Int32>? }
/// A run's row ids, read by the bootstrap threads.
private struct SharedIDs: @unchecked Sendable { let p: UnsafePointer<UInt64>? }
