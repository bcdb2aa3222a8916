import Foundation
import Testing

/// The Adult test split as the fixture script wrote it: the pre-trained MLP's
/// Keras scores (float32) with each row's label, sex and race.
struct AdultScores {
    var scores: [Float] = []
    var labels: [Float] = []
    var sex: [String] = []
    var race: [String] = []

    static func load() throws -> AdultScores {
        let url = try #require(
            Bundle.module.url(
                forResource: "adult_test_scores", withExtension: "csv",
                subdirectory: "Resources"))
        let text = try String(contentsOf: url, encoding: .utf8)
        var d = AdultScores()
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            try #require(f.count == 4)
            d.scores.append(try #require(Float(f[0])))
            d.labels.append(try #require(Float(f[1])))
            d.sex.append(String(f[2]))
            d.race.append(String(f[3]))
        }
        return d
    }

    /// Group names for `columns` (values joined with `" & "` in column order)
    /// and each row's index, in order of first appearance.
    func groups(_ columns: [String]) -> (names: [String], rows: [Int]) {
        let parts: [[String]] = columns.map { $0 == "sex" ? sex : race }
        var names: [String] = []
        var index: [String: Int] = [:]
        var rows: [Int] = []
        for i in scores.indices {
            let name = parts.map { $0[i] }.joined(separator: " & ")
            if let k = index[name] {
                rows.append(k)
            } else {
                index[name] = names.count
                rows.append(names.count)
                names.append(name)
            }
        }
        return (names, rows)
    }
}

/// fairlearn 0.15's numbers, written by scripts/fixtures/make_fairness_fixtures.py:
/// per group `selection_rate`/`true_positive_rate`/`false_positive_rate` and
/// scikit-learn `accuracy_score` on each group's rows, the `*_difference` /
/// `*_ratio` functions and `MetricFrame(accuracy_score).difference()` on the rows
/// of groups with at least `min_group_size` rows; NaN written as null.
struct Expected {
    let root: [String: Any]

    static func load() throws -> Expected {
        let url = try #require(
            Bundle.module.url(
                forResource: "fairlearn_expected", withExtension: "json",
                subdirectory: "Resources"))
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return Expected(root: try #require(obj as? [String: Any]))
    }

    func list(_ key: String) throws -> [[String: Any]] { try #require(root[key] as? [[String: Any]]) }
}

/// `a` equals `b` within `tol`, or both are NaN (`b` nil means NaN).
func close(_ a: Double, _ b: Double?, tol: Double = 1e-9) -> Bool {
    guard let b else { return a.isNaN }
    return abs(a - b) <= tol
}
