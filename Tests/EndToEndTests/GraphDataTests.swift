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
        try Plugins.formats.read(dir.appendingPathComponent("wide_deep_k3_ref.npz")).tensor(named: "scores")
            .doubleValues()
    }

    @Test(
        "predict equals Keras within 1e-5 from npz and from CSV",
        arguments: ["wide_deep_k3_cli.npz", "wide_deep_k3_cli.csv"])
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
        let r = try CLI.run([
            "audit", Self.model, "--data", npz, "--label", "label", "--group", "sex", "--group", "band", "--json",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        for name in ["female & x", "male & y", "other & x"] { #expect(r.stdout.contains(name), "\(name)") }
        let csv = try CLI.run([
            "audit", Self.model, "--data", Self.dir.appendingPathComponent("wide_deep_k3_cli.csv").path,
            "--label", "label", "--group", "sex", "--json",
        ])
        #expect(csv.code == 0, "\(csv.stderr)")
        let npzOne = try CLI.run(["audit", Self.model, "--data", npz, "--label", "label", "--group", "sex", "--json"])
        // The same rows from either file: the same report, timings aside.
        func strip(_ s: String) -> String {
            s.split(separator: "\n").filter {
                !$0.contains("_s\"") && !$0.contains("\"data\"") && !$0.contains("\"seconds\"")
            }.joined()
        }
        #expect(strip(npzOne.stdout) == strip(csv.stdout))
    }

    @Test("a missing array or an out-of-range id is one line naming it, exit 2")
    func badData() throws {
        let npz = Self.dir.appendingPathComponent("wide_deep_k3_cli.npz").path
        let r = try CLI.run(["audit", Self.model, "--data", npz, "--label", "income", "--group", "sex"])
        #expect(
            r.code == 2 && r.stderr.contains("'income'") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
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

/// `--input name=a,b,c`: the wide-and-deep model's inputs read from CSV
/// columns named otherwise.
@Suite struct InputMappingTests {
    static let dir = GraphDataTests.dir
    static let model = GraphDataTests.model
    static let renamed = ["num": ["age", "hours", "gain", "loss"], "cat": ["job", "city", "sector"]]

    /// wide_deep_k3_cli.csv with its input columns renamed (`num` → age, …; `cat` → job, …) and
    /// the category columns moved before the numbers.
    static func renamedCSV() throws -> URL {
        let text = try String(contentsOf: dir.appendingPathComponent("wide_deep_k3_cli.csv"), encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = try #require(lines.first)
        var names: [String: String] = [:]
        for (input, columns) in renamed {
            for (k, c) in columns.enumerated() { names[k == 0 ? input : "\(input)_\(k)"] = c }
        }
        let order = header.indices.sorted { a, b in
            let ca = header[a].hasPrefix("cat")
            let cb = header[b].hasPrefix("cat")
            return ca != cb ? ca : a < b
        }
        let out = lines.map { cells in order.map { cells[$0] } }
        var rows = [order.map { names[header[$0]] ?? header[$0] }]
        rows += out.dropFirst()
        let url = try CLI.temporaryDirectory().appendingPathComponent("renamed.csv")
        try (rows.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").write(
            to: url, atomically: true, encoding: .utf8)
        return url
    }

    static var mapping: [String] {
        renamed.keys.sorted().flatMap { ["--input", "\($0)=" + (renamed[$0] ?? []).joined(separator: ",")] }
    }

    /// The scores `predict` prints.
    static func scores(_ r: CLI.Result) -> [Double] {
        r.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
    }

    @Test("predict with --input on renamed columns equals predict from the npz, and Keras within 1e-5")
    func predictWithMapping() throws {
        let csv = try Self.renamedCSV()
        let r = try CLI.run(
            ["predict", Self.model, "--data", csv.path, "--ignore", "sex", "--ignore", "label"] + Self.mapping)
        #expect(r.code == 0, "\(r.stderr)")
        let npz = try CLI.run([
            "predict", Self.model, "--data", Self.dir.appendingPathComponent("wide_deep_k3_cli.npz").path,
        ])
        #expect(npz.code == 0, "\(npz.stderr)")
        let got = Self.scores(r)
        let fromNPZ = Self.scores(npz)
        let keras = try GraphDataTests.kerasScores()
        #expect(got.count == 48 && fromNPZ.count == 48 && keras.count == 48)
        // The CSV holds the npz's float32 values as repr() writes them: the same inputs, the same computation.
        let worstNPZ = zip(got, fromNPZ).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worstNPZ <= 1e-7, "largest difference from the npz's scores \(worstNPZ)")
        let worst = zip(got, keras).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest difference from Keras \(worst)")
        // Without the mapping the renamed columns are not found by the inputs' names.
        let bare = try CLI.run(["predict", Self.model, "--data", csv.path, "--ignore", "sex", "--ignore", "label"])
        #expect(bare.code == 2 && bare.stderr.split(separator: "\n").count == 1, "\(bare.stderr)")
    }

    @Test("audit with --input gives the report audit gives from the npz")
    func auditWithMapping() throws {
        let csv = try Self.renamedCSV()
        let r = try CLI.run(
            ["audit", Self.model, "--data", csv.path, "--label", "label", "--group", "sex", "--json"] + Self.mapping)
        #expect(r.code == 0, "\(r.stderr)")
        let npz = try CLI.run([
            "audit", Self.model, "--data", Self.dir.appendingPathComponent("wide_deep_k3_cli.npz").path,
            "--label", "label", "--group", "sex", "--json",
        ])
        func doc(_ s: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
        }
        let a = try doc(r.stdout)
        let b = try doc(npz.stdout)
        let ga = try #require(a["groups"] as? [[String: Any]])
        let gb = try #require(b["groups"] as? [[String: Any]])
        #expect(ga.count == 3 && ga.count == gb.count)
        for (x, y) in zip(ga, gb) {
            #expect(x["name"] as? String == y["name"] as? String)
            for key in ["selection_rate", "tpr", "fpr", "accuracy", "mean_score"] {
                let u = try #require(x[key] as? Double)
                let v = try #require(y[key] as? Double)
                #expect(abs(u - v) <= 1e-7, "\(key): \(u) vs \(v)")
            }
        }
    }

    @Test(
        "a mapping naming no input, the wrong column count, or beside --features is one line, exit 2",
        arguments: [
            (["--input", "nums=age,hours,gain,loss"], "names no model input"),
            (["--input", "num=age,hours", "--input", "cat=job,city,sector"], "takes 4 values"),
            (["--input", "num=age,hours,gain,loss", "--features", "age"], "exclude each other"),
            (["--input", "num"], "NAME=COLUMN"),
            (["--input", "cat=job,city,sector", "--input", "cat=job,city,sector"], "twice"),
        ])
    func badMapping(flags: [String], message: String) throws {
        let csv = try Self.renamedCSV()
        let r = try CLI.run(
            ["predict", Self.model, "--data", csv.path, "--ignore", "sex", "--ignore", "label"] + flags)
        #expect(r.code == 2, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("--help says how the inputs' columns are found")
    func help() throws {
        for command in ["predict", "audit", "fix"] {
            let r = try CLI.run([command, "--help"])
            #expect(r.code == 0)
            #expect(r.stdout.contains("--input <name=a,b,c>") && r.stdout.contains("cat_1"), "\(command)")
        }
    }
}
