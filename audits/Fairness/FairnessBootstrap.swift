import FairAudit
import Foundation

/// Percentile bootstrap intervals. The audit's bootstrap is a Poisson
/// bootstrap (``poissonCells(codes:rowIDs:groupCount:resamples:seed:threads:)``):
/// in replicate `b` every row counts `w ~ Poisson(1)` times, drawn from
/// ``CounterRandom`` keyed by seed, `b` and the row's global id, so the
/// replicate's cells are sums over rows that any split of the rows adds back
/// up. The classic row bootstrap (``resamples(codes:groupCount:included:count:seed:threads:)``,
/// `n` rows drawn with replacement) is kept for comparison (docs/method.md §7).
/// The interval is the `(1−c)/2` and `(1+c)/2` percentiles of the replicate
/// gaps (numpy's default linear interpolation, as fairlearn's
/// `MetricFrame(n_boot=…)` uses).
public enum FairnessBootstrap {
    /// The Poisson-bootstrap cells: `resamples × 4·groupCount` counts, replicate
    /// `b`'s cell `c` at `b·4G + c` summing `w_{b,i} = Poisson1(bits(key(seed, b), rowIDs[i]))`
    /// over the rows `i` whose code (`4·group + 2·y + ŷ`) is `c`. Runs on
    /// `threads` threads, each a block of replicates; the result does not
    /// depend on the thread count, the row order or how rows are split.
    public static func poissonCells<Code: FixedWidthInteger & Sendable>(
        codes: [Code], rowIDs: [UInt64], groupCount: Int, resamples: Int, seed: UInt64, threads: Int = 2
    ) -> [Int] {
        let width = 4 * groupCount
        guard resamples > 0, width > 0 else { return [] }
        let out = CellSlots(count: resamples * width)
        let workers = max(1, min(threads, resamples))
        let n = min(codes.count, rowIDs.count)
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let start = t * resamples / workers
            let end = (t + 1) * resamples / workers
            var cells = [Int](repeating: 0, count: width)
            CounterRandom.poissonOneCDF.withUnsafeBufferPointer { cdf in
                codes.withUnsafeBufferPointer { code in
                    rowIDs.withUnsafeBufferPointer { ids in
                        for b in start..<end {
                            let key = CounterRandom.key(seed: seed, stream: UInt64(b))
                            for j in cells.indices { cells[j] = 0 }
                            cells.withUnsafeMutableBufferPointer { c in
                                let p0 = cdf[0]
                                for i in 0..<n {
                                    let u = CounterRandom.bits(key: key, counter: ids[i])
                                    if u < p0 { continue }
                                    c[Int(code[i])] += CounterRandom.poissonOne(u, cdf: cdf)
                                }
                            }
                            out.store(cells, at: b * width)
                        }
                    }
                }
            }
        }
        return out.values
    }

    /// The gaps of `resamples` resamples of the rows' cell codes
    /// (`4·group + 2·y + ŷ`), over the groups whose `included` flag is set.
    /// Runs on `threads` threads, each a fixed contiguous block of resample
    /// indices; since each resample has its own stream, the result does not
    /// depend on the thread count.
    public static func resampledGaps(
        codes: [Int32], groupCount: Int, included: [Bool], resamples: Int,
        seed: UInt64, threads: Int = 2
    ) -> [FairnessGaps] {
        Self.resamples(
            codes: codes, groupCount: groupCount, included: included, count: resamples, seed: seed,
            threads: threads
        ).map(\.gaps)
    }

    /// The resamples themselves: each one's gaps and every group's rates.
    public static func resamples(
        codes: [Int32], groupCount: Int, included: [Bool], count resamples: Int,
        seed: UInt64, threads: Int = 2
    ) -> [BootstrapSample] {
        // One byte per row when the cells fit (≤ 64 groups): the codes stay in cache.
        let small: [UInt8]? = 4 * groupCount <= 256 ? codes.map { UInt8(truncatingIfNeeded: $0) } : nil
        return Self.resamples(
            codes: small == nil ? codes : [], small: small, groupCount: groupCount, included: included,
            count: resamples, seed: seed, threads: threads)
    }

    /// ``resamples(codes:groupCount:included:count:seed:threads:)`` on codes
    /// already narrowed to bytes (`small`) or not (`codes`).
    static func resamples(
        codes: [Int32], small: [UInt8]?, groupCount: Int, included: [Bool], count resamples: Int,
        seed: UInt64, threads: Int
    ) -> [BootstrapSample] {
        guard resamples > 0, !codes.isEmpty || !(small?.isEmpty ?? true), included.count == groupCount else {
            return []
        }
        let slots = Slots(count: resamples)
        let workers = max(1, min(threads, resamples))
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let start = t * resamples / workers
            let end = (t + 1) * resamples / workers
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
    static func drawRows<C: FixedWidthInteger>(
        _ codes: UnsafeBufferPointer<C>, into cells: UnsafeMutableBufferPointer<Int>,
        rng: inout Xoshiro256StarStar
    ) {
        let n = codes.count
        guard n > 0 else { return }
        if n <= Int(UInt32.max) {
            let bound = UInt64(n)
            let threshold = UInt32((0 &- UInt32(n)) % UInt32(n))
            var drawn = 0
            while drawn < n {
                let r = rng.next()
                let m0 = (r & 0xFFFF_FFFF) &* bound
                let m1 = (r >> 32) &* bound
                if UInt32(truncatingIfNeeded: m0) >= threshold {
                    cells[Int(codes[Int(m0 >> 32)])] += 1
                    drawn += 1
                }
                if drawn < n, UInt32(truncatingIfNeeded: m1) >= threshold {
                    cells[Int(codes[Int(m1 >> 32)])] += 1
                    drawn += 1
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
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, x.count - 1)
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
        c.count == 0
            ? [.nan, .nan, .nan, .nan]
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

/// Slots each written by exactly one thread.
private final class CellSlots: @unchecked Sendable {
    private var storage: [Int]
    private let lock = NSLock()
    init(count: Int) { storage = [Int](repeating: 0, count: count) }
    func store(_ cells: [Int], at offset: Int) {
        lock.lock()
        defer { lock.unlock() }
        for (j, v) in cells.enumerated() { storage[offset + j] = v }
    }
    var values: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
