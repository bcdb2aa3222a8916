import FairAudit
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
        Self.resamples(codes: codes, groupCount: groupCount, included: included, count: resamples, seed: seed,
                  threads: threads).map(\.gaps)
    }

    /// The resamples themselves: each one's gaps and every group's rates.
    public static func resamples(codes: [Int32], groupCount: Int, included: [Bool], count resamples: Int,
                                 seed: UInt64, threads: Int = 2) -> [BootstrapSample] {
        // One byte per row when the cells fit (≤ 64 groups): the codes stay in cache.
        let small: [UInt8]? = 4 * groupCount <= 256 ? codes.map { UInt8(truncatingIfNeeded: $0) } : nil
        return Self.resamples(codes: small == nil ? codes : [], small: small, groupCount: groupCount, included: included,
                              count: resamples, seed: seed, threads: threads)
    }

    /// ``resamples(codes:groupCount:included:count:seed:threads:)`` on codes
    /// already narrowed to bytes (`small`) or not (`codes`).
    static func resamples(codes: [Int32], small: [UInt8]?, groupCount: Int, included: [Bool], count resamples: Int,
                          seed: UInt64, threads: Int) -> [BootstrapSample] {
        guard resamples > 0, !codes.isEmpty || !(small?.isEmpty ?? true), included.count == groupCount else { return [] }
        let slots = Slots(count: resamples)
        let workers = max(1, min(threads, resamples))
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let start = t * resamples / workers, end = (t + 1) * resamples / workers
            var cells = [Int](repeating: 0, count: 4 * groupCount)
            for k in start..<end {
                var rng = Xoshiro256StarStar(seed: seed, stream: UInt64(k))
                for j in cells.indices { cells[j] = 0 }
                cells.withUnsafeMutableBufferPointer { c in
                    if let small {
                        small.withUnsafeBufferPointer { drawRows($0, into: c, rng: &rng) }
                    } else {
                        codes.withUnsafeBufferPointer { drawRows($0, into: c, rng: &rng) }
                    }
                }
                let all = cells.withUnsafeBufferPointer { c in
                    (0..<groupCount).map { ConfusionCounts(cells: c, offset: 4 * $0) }
                }
                let gaps = FairnessGaps(groups: (0..<groupCount).filter { included[$0] }.map { all[$0] })
                slots.set(k, BootstrapSample(gaps: gaps, rates: all.flatMap(BootstrapSample.rates)))
            }
        }
        return slots.values
    }

    /// Adds `codes.count` rows drawn uniformly with replacement to `cells`
    /// (each draw increments the drawn row's cell). Below 2³² rows each 64-bit
    /// random word gives two draws by Lemire's 32-bit multiply-and-reject.
    @inline(__always)
    static func drawRows<C: FixedWidthInteger>(_ codes: UnsafeBufferPointer<C>, into cells: UnsafeMutableBufferPointer<Int>,
                                               rng: inout Xoshiro256StarStar) {
        let n = codes.count
        guard n > 0 else { return }
        if n <= Int(UInt32.max) {
            let bound = UInt64(n), threshold = UInt32((0 &- UInt32(n)) % UInt32(n))
            var drawn = 0
            while drawn < n {
                let r = rng.next()
                let m0 = (r & 0xFFFF_FFFF) &* bound, m1 = (r >> 32) &* bound
                if UInt32(truncatingIfNeeded: m0) >= threshold { cells[Int(codes[Int(m0 >> 32)])] += 1; drawn += 1 }
                if drawn < n, UInt32(truncatingIfNeeded: m1) >= threshold {
                    cells[Int(codes[Int(m1 >> 32)])] += 1; drawn += 1
                }
            }
        } else {
            for _ in 0..<n { cells[Int(codes[Int(rng.bounded(UInt64(n)))])] += 1 }
        }
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

/// One result slot per resample; each index is written by exactly one thread.
/// One bootstrap resample's statistics.
public struct BootstrapSample: Sendable {
    /// The gaps over the included groups.
    public var gaps: FairnessGaps
    /// Per group `g`, at `4g ..< 4g+4`: selection rate, TPR, FPR, accuracy
    /// (NaN for a group the resample missed).
    public var rates: [Double]

    /// The four rates of a group, as `rates` lays them out.
    static func rates(_ c: ConfusionCounts) -> [Double] {
        c.count == 0 ? [.nan, .nan, .nan, .nan]
            : [c.selectionRate, c.truePositiveRate, c.falsePositiveRate, c.accuracy]
    }
}

private final class Slots: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<BootstrapSample>
    private let count: Int
    private let empty = BootstrapSample(gaps: FairnessGaps(groups: []), rates: [])
    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: empty, count: count)
    }
    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }
    func set(_ i: Int, _ value: BootstrapSample) { storage[i] = value }
    var values: [BootstrapSample] { Array(UnsafeBufferPointer(start: storage, count: count)) }
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
        let boot = FairnessBootstrap.resamples(codes: table.codes, small: table.smallCodes, groupCount: groupNames.count,
                                               included: included, count: resamples, seed: seed, threads: threads)
        let gapValues = boot.map(\.gaps.values)
        intervals = FairnessGaps.names.indices.map { m in
            FairnessBootstrap.interval(gapValues.map { $0[m] }, confidence: confidence)
        }
        for (i, g) in groups.enumerated() {
            guard let index = groupNames.firstIndex(of: g.group) else { continue }
            groups[i].intervals = (0..<4).map { m in
                FairnessBootstrap.interval(boot.map { $0.rates[4 * index + m] }, confidence: confidence)
            }
        }
    }
}
