import Foundation

/// Percentile bootstrap over rows: resample `k` draws `n` rows with
/// replacement from stream `k` of the seed (`Xoshiro256StarStar(seed:stream:)`),
/// recomputes the gaps over the same groups, and the interval is the
/// `(1−c)/2` and `(1+c)/2` percentiles of the resampled gaps (numpy's default
/// linear interpolation, as fairlearn's `MetricFrame(n_boot=…)` uses).
public enum FairnessBootstrap {
    /// The gaps of `resamples` resamples of the rows' cell codes
    /// (`4·group + 2·y + ŷ`), over the groups whose `included` flag is set.
    /// Runs on `threads` threads, each a fixed contiguous block of resample
    /// indices; since each resample has its own stream, the result does not
    /// depend on the thread count.
    public static func resampledGaps(codes: [Int32], groupCount: Int, included: [Bool], resamples: Int,
                                     seed: UInt64, threads: Int = 2) -> [FairnessGaps] {
        guard resamples > 0, !codes.isEmpty, included.count == groupCount else { return [] }
        let slots = Slots(count: resamples)
        let workers = max(1, min(threads, resamples))
        codes.withUnsafeBufferPointer { raw in
            let rows = CodeRows(pointer: raw)
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                let start = t * resamples / workers, end = (t + 1) * resamples / workers
                var cells = [Int](repeating: 0, count: 4 * groupCount)
                for k in start..<end {
                    var rng = Xoshiro256StarStar(seed: seed, stream: UInt64(k))
                    for j in cells.indices { cells[j] = 0 }
                    let n = rows.pointer.count, bound = UInt64(n)
                    cells.withUnsafeMutableBufferPointer { c in
                        for _ in 0..<n { c[Int(rows.pointer[Int(rng.bounded(bound))])] += 1 }
                    }
                    let groups = cells.withUnsafeBufferPointer { c in
                        (0..<groupCount).filter { included[$0] }.map { ConfusionCounts(cells: c, offset: 4 * $0) }
                    }
                    slots.set(k, FairnessGaps(groups: groups))
                }
            }
        }
        return slots.values
    }

    /// The `q`-quantile (0…1) of the non-NaN `values` with numpy's default
    /// linear interpolation: sorted `x`, `h = (m−1)q`, `x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])`.
    /// Nil when no value is a number.
    public static func quantile(_ values: [Double], _ q: Double) -> Double? {
        let x = values.filter { !$0.isNaN }.sorted()
        guard !x.isEmpty, q.isFinite else { return nil }
        let h = Double(x.count - 1) * min(max(q, 0), 1)
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, x.count - 1)
        return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
    }

    /// The central `confidence` interval of `values`; nil when no value is a number.
    public static func interval(_ values: [Double], confidence: Double) -> ClosedRange<Double>? {
        let tail = (1 - confidence) / 2
        guard let lo = quantile(values, tail), let hi = quantile(values, 1 - tail), lo <= hi else { return nil }
        return lo...hi
    }
}

/// Read-only row codes shared by the worker threads.
private struct CodeRows: @unchecked Sendable {
    let pointer: UnsafeBufferPointer<Int32>
}

/// One result slot per resample; each index is written by exactly one thread.
private final class Slots: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<FairnessGaps>
    private let count: Int
    private let empty = FairnessGaps(groups: [])
    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: empty, count: count)
    }
    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }
    func set(_ i: Int, _ value: FairnessGaps) { storage[i] = value }
    var values: [FairnessGaps] { Array(UnsafeBufferPointer(start: storage, count: count)) }
}

extension FairnessReport {
    /// The report with bootstrap intervals for every gap: `resamples`
    /// resamples (0 turns them off) at level `confidence`, seeded by `seed`,
    /// on `threads` threads. Resamples keep the groups of the point estimate
    /// (those not small); a group absent from a resample is skipped in it.
    public init(scores: [Float], labels: [Float], rowGroups: [Int], groupNames: [String],
                threshold: Double = 0.5, minGroupSize: Int = 30, resamples: Int, confidence: Double = 0.95,
                seed: UInt64 = 0, threads: Int = 2) throws {
        guard resamples >= 0 else { throw FairnessError.invalidOption(name: "bootstrap", reason: "must be ≥ 0") }
        guard confidence > 0, confidence < 1 else {
            throw FairnessError.invalidOption(name: "confidence", reason: "must lie strictly between 0 and 1")
        }
        let table = try CellTable(scores: scores, labels: labels, rowGroups: rowGroups,
                                  groupCount: groupNames.count, threshold: threshold)
        try self.init(table: table, groupNames: groupNames, threshold: threshold, minGroupSize: minGroupSize)
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed
        guard resamples > 0 else { return }
        let included = (0..<groupNames.count).map { table.counts($0).count >= max(minGroupSize, 1) }
        let boot = FairnessBootstrap.resampledGaps(codes: table.codes, groupCount: groupNames.count,
                                                   included: included, resamples: resamples, seed: seed,
                                                   threads: threads)
        intervals = FairnessGaps.names.indices.map { m in
            FairnessBootstrap.interval(boot.map { $0.values[m] }, confidence: confidence)
        }
    }
}
