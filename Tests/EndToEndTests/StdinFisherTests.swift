import Foundation
import Testing

/// `audit --data -` with the Fisher's permutation null and no `--null-counts`:
/// standard input cannot be read twice for the group-counting pass, so the
/// rows are held and the audit runs on all of them at once. Its report must
/// be the one the two-pass streaming audit of the same rows from a file gives.
@Suite struct StdinFisherTests {
    static let adult = CLI.packageRoot.appendingPathComponent("examples/adult")

    /// Every number of `a` and `b` within `tolerance` (relative, at least
    /// absolute), every other value equal; keys in `skip` are left out.
    static func differences(_ a: Any, _ b: Any, path: String = "", tolerance: Double, skip: Set<String>) -> [String] {
        switch (a, b) {
        case (let x as [String: Any], let y as [String: Any]):
            guard Set(x.keys) == Set(y.keys) else { return ["\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())"] }
            return x.keys.filter { !skip.contains($0) }.sorted().flatMap {
                differences(x[$0] as Any, y[$0] as Any, path: path + "/" + $0, tolerance: tolerance, skip: skip)
            }
        case (let x as [Any], let y as [Any]):
            guard x.count == y.count else { return ["\(path): \(x.count) vs \(y.count) items"] }
            return zip(x, y).enumerated().flatMap {
                differences($0.element.0, $0.element.1, path: "\(path)/\($0.offset)", tolerance: tolerance, skip: skip)
            }
        case (let x as NSNumber, let y as NSNumber):
            let (u, v) = (x.doubleValue, y.doubleValue)
            return abs(u - v) <= tolerance * max(1, abs(u)) ? [] : ["\(path): \(u) vs \(v)"]
        default:
            return "\(a)" == "\(b)" ? [] : ["\(path): \(a) vs \(b)"]
        }
    }

    @Test(arguments: [20, 5])
    func standardInputHoldsTheRowsAndGivesTheFileReport(permutations: Int) throws {
        let csv = try Data(contentsOf: Self.adult.appendingPathComponent("groups.csv"))
        let common = ["audit", "--config", "fairaudit.toml", "--json", "--permutations", "\(permutations)"]
        let file = try CLI.run(common, in: Self.adult)
        let piped = try CLI.run(common + ["--data", "-"], in: Self.adult, stdin: csv)
        #expect(file.code == 0, "\(file.stderr)")
        #expect(piped.code == file.code, "\(piped.stderr)")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(file.stdout.utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? [String: Any])
        let fisher = try #require(b["fisher"] as? [String: Any])
        #expect(fisher["permutations"] as? Int == permutations)
        let pairs = try #require(fisher["pairs"] as? [[String: Any]])
        let tensors = try #require(pairs.first?["tensors"] as? [[String: Any]])
        #expect(tensors.contains { $0["p_value"] != nil && $0["null_tv_mean"] != nil }, "the null ran")
        // Timings and the data's name differ; every metric, interval, divergence and p-value must not.
        // The held rows' Fisher sums rows in another order than the streamed one: 1e-9 relative.
        let diff = Self.differences(a, b, tolerance: 1e-9, skip: ["timing", "seconds", "data"])
        #expect(diff.isEmpty, "\(diff.prefix(5))")
        #expect(b["data"] as? String == "-")
    }
}
