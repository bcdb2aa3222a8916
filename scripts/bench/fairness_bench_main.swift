// Times FairnessReport (metrics + percentile bootstrap) on synthetic rows;
// compiled by fairness_bench.sh together with audits/Fairness.
import Foundation

let args = CommandLine.arguments
let n = args.count > 1 ? Int(args[1]) ?? 1_000_000 : 1_000_000
let resamples = args.count > 2 ? Int(args[2]) ?? 200 : 200
var rng = Xoshiro256StarStar(seed: 1)
var scores = [Float](repeating: 0, count: n)
var labels = [Float](repeating: 0, count: n)
var groups = [Int](repeating: 0, count: n)
for i in 0..<n {
    scores[i] = Float(Double(rng.next() >> 11) / Double(1 << 53))
    labels[i] = rng.bounded(4) == 0 ? 1 : 0
    groups[i] = Int(rng.bounded(5))
}
for threads in [1, 2] {
    let t0 = Date()
    let r = try FairnessReport(
        scores: scores, labels: labels, rowGroups: groups, groupNames: ["a", "b", "c", "d", "e"],
        resamples: resamples, seed: 0, threads: threads)
    let s = Date().timeIntervalSince(t0)
    print(
        String(
            format: "swift: %d rows, %d resamples, %d thread(s): %.3f s (DP difference %.5f)",
            n, resamples, threads, s, r.gaps.demographicParityDifference))
}
