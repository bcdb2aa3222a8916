import FairAuditPlugins
import Foundation
import Testing

/// The wide-and-deep model (two inputs: numbers and embedding ids) fed by
/// an `.npz` with one array per input and numpy-string groups, and by a CSV
/// whose columns are named after the inputs (scripts/fixtures/make_zoo.py).
@Suite struct GraphDataTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/FairAuditTests/Resources/zoo")
    static let model = dir.appendingPathComponent("wide_deep_k3.keras").path

    /// Keras 3's own predict on these rows.
    static func kerasScores() throws -> [Double] {
        try Plugins.formats.read(dir.appendingPathComponent("wide_deep_k3_ref.npz")).tensor(named: "scores").doubleValues()
    }

    @Test("predict equals Keras within 1e-5 from npz and from CSV", arguments: ["wide_deep_k3_cli.npz", "wide_deep_k3_cli.csv"])
    func predictEqualsKeras(data: String) throws {
        let r = try CLI.run(["predict", Self.model, "--data", Self.dir.appendingPathComponent(data).path])
        #expect(r.code == 0, "\(r.stderr)")
        let scores = r.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
        let want = try Self.kerasScores()
        #expect(scores.count == want.count)
        let worst = zip(scores, want).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference \(worst)")
    }

    @Test("audit reads bool labels and numpy-string groups (<U, |S) from npz")
    func auditFromNPZ() throws {
        let npz = Self.dir.appendingPathComponent("wide_deep_k3_cli.npz").path
        let r = try CLI.run(["audit", Self.model, "--data", npz, "--label", "label", "--group", "sex", "--group", "band", "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        for name in ["female & x", "male & y", "other & x"] { #expect(r.stdout.contains(name), "\(name)") }
        let csv = try CLI.run(["audit", Self.model, "--data", Self.dir.appendingPathComponent("wide_deep_k3_cli.csv").path,
                               "--label", "label", "--group", "sex", "--json"])
        #expect(csv.code == 0, "\(csv.stderr)")
        let npzOne = try CLI.run(["audit", Self.model, "--data", npz, "--label", "label", "--group", "sex", "--json"])
        // The same rows from either file: the same report, timings aside.
        func strip(_ s: String) -> String {
            s.split(separator: "\n").filter { !$0.contains("_s\"") && !$0.contains("\"data\"") && !$0.contains("\"seconds\"") }.joined()
        }
        #expect(strip(npzOne.stdout) == strip(csv.stdout))
    }

    @Test("a missing array or an out-of-range id is one line naming it, exit 2")
    func badData() throws {
        let npz = Self.dir.appendingPathComponent("wide_deep_k3_cli.npz").path
        let r = try CLI.run(["audit", Self.model, "--data", npz, "--label", "income", "--group", "sex"])
        #expect(r.code == 2 && r.stderr.contains("'income'") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let csv = try String(contentsOf: Self.dir.appendingPathComponent("wide_deep_k3_cli.csv"), encoding: .utf8)
        var lines = csv.split(whereSeparator: \.isNewline).map(String.init)  // the csv module writes \r\n
        var cells = lines[3].split(separator: ",").map(String.init)
        cells[7] = "12"  // cat_1 of the third row: outside the 10 ids
        lines[3] = cells.joined(separator: ",")
        let bad = try CLI.temporaryDirectory().appendingPathComponent("bad.csv")
        try lines.joined(separator: "\n").write(to: bad, atomically: true, encoding: .utf8)
        let b = try CLI.run(["predict", Self.model, "--data", bad.path])
        #expect(b.code == 2 && b.stderr.contains("row 3") && b.stderr.contains("embedding 'emb'"), "\(b.stderr)")
    }
}
