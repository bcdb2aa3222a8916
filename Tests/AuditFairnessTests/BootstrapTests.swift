import AuditFairness
import Foundation
import Testing

private func sexReport(seed: UInt64, threads: Int = 2, resamples: Int = 200) throws -> FairnessReport {
    let data = try AdultScores.load()
    let (names, rows) = data.groups(["sex"])
    return try FairnessReport(
        scores: data.scores, labels: data.labels, rowGroups: rows, groupNames: names,
        resamples: resamples, seed: seed, threads: threads)
}

@Test func bootstrapIsDeterministicAndIndependentOfThreads() throws {
    let a = try sexReport(seed: 42)
    let b = try sexReport(seed: 42)
    let one = try sexReport(seed: 42, threads: 1)
    #expect(a.intervals == b.intervals)
    #expect(a.intervals == one.intervals)
    let c = try sexReport(seed: 43)
    #expect(a.intervals != c.intervals)
    #expect(a.intervals.allSatisfy { $0 != nil })
}

@Test func intervalsContainThePointEstimates() throws {
    let r = try sexReport(seed: 7)
    for m in r.gapMetrics {
        let ci = try #require(m.interval, "\(m.name)")
        #expect(ci.contains(m.value), "\(m.name) = \(m.value) outside \(ci)")
        #expect(ci.upperBound - ci.lowerBound > 0, "\(m.name)")
    }
}

/// fairlearn's own percentile bootstrap (`MetricFrame(n_boot=200,
/// ci_quantiles=[0.025, 0.975], random_state=0).difference_ci()`) of the
/// demographic parity difference: our interval from a different random
/// stream has a width within 30% of it and overlaps it.
@Test(arguments: 0..<2)
func intervalWidthMatchesFairlearnsBootstrap(index: Int) throws {
    let ref = try Expected.load().list("bootstrap")[index]
    let columns = try #require(ref["columns"] as? [String])
    let ci = try #require(ref["ci"] as? [Double])
    let data = try AdultScores.load()
    let (names, rows) = data.groups(columns)
    let r = try FairnessReport(
        scores: data.scores, labels: data.labels, rowGroups: rows, groupNames: names,
        resamples: 200, seed: 1)
    let ours = try #require(r.intervals[0])
    let width = ours.upperBound - ours.lowerBound
    let refWidth = ci[1] - ci[0]
    #expect(abs(width - refWidth) / refWidth < 0.3, "width \(width) vs fairlearn \(refWidth)")
    #expect(ours.overlaps(ci[0]...ci[1]))
}

/// numpy.quantile([0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.4, 0.8, 0.6, 0.05, 0.95], q)
/// gives 0.0625, 0.9375, 0.5 and 0.1 for q = 0.025, 0.975, 0.5, 0.1.
@Test func quantileMatchesNumpyLinear() throws {
    let x = [0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.4, 0.8, 0.6, 0.05, 0.95, .nan]
    #expect(abs(try #require(FairnessBootstrap.quantile(x, 0.025)) - 0.0625) < 1e-12)
    #expect(abs(try #require(FairnessBootstrap.quantile(x, 0.975)) - 0.9375) < 1e-12)
    #expect(abs(try #require(FairnessBootstrap.quantile(x, 0.5)) - 0.5) < 1e-12)
    #expect(abs(try #require(FairnessBootstrap.quantile(x, 0.1)) - 0.1) < 1e-12)
    #expect(FairnessBootstrap.quantile([.nan], 0.5) == nil)
}

@Test func noResamplesGiveNoIntervals() throws {
    let r = try sexReport(seed: 0, resamples: 0)
    #expect(r.intervals.allSatisfy { $0 == nil })
}

/// Per-group rate intervals: each contains its rate, and a selection rate's
/// width is close to the normal approximation `2·1.96·√(p(1−p)/n)` of a
/// binomial proportion (within 30%).
@Test func groupRateIntervalsMatchTheBinomialWidth() throws {
    let r = try sexReport(seed: 5)
    for g in r.groups {
        #expect(g.intervals.count == 4)
        for (m, value) in [g.selectionRate, g.tpr, g.fpr, g.accuracy].enumerated() {
            let ci = try #require(g.intervals[m])
            #expect(ci.contains(value), "\(g.group) rate \(m)")
        }
        let p = g.selectionRate
        let n = Double(g.count)
        let normal = 2 * 1.959964 * (p * (1 - p) / n).squareRoot()
        let ci = try #require(g.intervals[0])
        #expect(abs((ci.upperBound - ci.lowerBound) - normal) / normal < 0.3, "\(g.group): \(ci) vs width \(normal)")
    }
}
