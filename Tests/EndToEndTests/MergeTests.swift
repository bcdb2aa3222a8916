import Foundation
import Testing

/// `fairaudit audit --partial` on shards of the bundled Adult rows and
/// `fairaudit merge` against one run over all of them.
@Suite struct MergeTests {
    static let adult = CLI.packageRoot.appendingPathComponent("examples/adult")

    /// The bundled rows split after `cut` data lines into two CSVs, the
    /// second one without a header line.
    static func split(at cut: Int, in dir: URL) throws -> (header: String, a: URL, b: URL) {
        let text = try String(contentsOf: adult.appendingPathComponent("groups.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let a = dir.appendingPathComponent("a.csv")
        let b = dir.appendingPathComponent("b.csv")
        try ([lines[0]] + lines[1...cut]).joined(separator: "\n").appending("\n").write(
            to: a, atomically: true, encoding: .utf8)
        try lines[(cut + 1)...].joined(separator: "\n").appending("\n").write(to: b, atomically: true, encoding: .utf8)
        return (lines[0], a, b)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Two shards (one from a headerless file with --columns and --row-offset)
    /// merge into the single run's metrics, intervals, gate and exit code.
    @Test func twoShardsMergeIntoTheSingleRun() throws {
        let dir = try CLI.temporaryDirectory()
        let (header, a, b) = try Self.split(at: 700, in: dir)
        let common = [
            "audit", "--config", "fairaudit.toml", "--no-fisher", "--limit", "max_demographic_parity_difference=0.05",
        ]
        let single = try CLI.run(common + ["--json"], in: Self.adult)
        #expect(single.code == 1, "the tight limit fails the gate: \(single.stderr)")
        let pa = try CLI.run(
            common + ["--data", a.path, "--partial", dir.appendingPathComponent("a.json").path], in: Self.adult)
        let pb = try CLI.run(
            common + ["--data", b.path, "--columns", header, "--row-offset", "700", "--partial", "-"], in: Self.adult)
        #expect(pa.code == 0 && pb.code == 0, "\(pa.stderr) \(pb.stderr)")
        #expect(pb.stdout.split(separator: "\n").count == 1)
        try pb.stdout.write(to: dir.appendingPathComponent("b.json"), atomically: true, encoding: .utf8)
        let merged = try CLI.run(
            [
                "merge", dir.appendingPathComponent("b.json").path, dir.appendingPathComponent("a.json").path,
                "--config", "fairaudit.toml", "--limit", "max_demographic_parity_difference=0.05", "--json",
            ],
            in: Self.adult)
        #expect(merged.code == single.code, "\(merged.stderr)")
        let s = try Self.json(single.stdout)
        let m = try Self.json(merged.stdout)
        let sm = try #require(s["metrics"] as? [String: [String: Any]])
        let mm = try #require(m["metrics"] as? [String: [String: Any]])
        #expect(Set(sm.keys) == Set(mm.keys))
        for (k, v) in sm {
            let x = try #require(v["value"] as? Double)
            let y = try #require(mm[k]?["value"] as? Double)
            #expect(abs(x - y) <= 1e-12, "\(k)")
            let cx = v["ci"] as? [Double]
            let cy = mm[k]?["ci"] as? [Double]
            #expect(cx?.count == cy?.count)
            for (p, q) in zip(cx ?? [], cy ?? []) { #expect(abs(p - q) <= 1e-12, "\(k) ci") }
        }
        let sg = try #require(s["gate"] as? [String: Any])
        let mg = try #require(m["gate"] as? [String: Any])
        #expect(sg["passed"] as? Bool == false && mg["passed"] as? Bool == false)
    }

    /// Parts with another seed or threshold, overlapping row ids, or another
    /// model's hash are refused on one line naming the part, exit 2.
    @Test func mergeRefusesPartsThatDoNotAdd() throws {
        let dir = try CLI.temporaryDirectory()
        let (_, a, b) = try Self.split(at: 500, in: dir)
        let header = try #require(
            try String(contentsOf: a, encoding: .utf8).split(separator: "\n").first.map(String.init))
        func part(_ name: String, _ extra: [String], data: URL = b, offset: String = "500") throws -> String {
            let out = dir.appendingPathComponent(name).path
            var args =
                [
                    "audit", "--config", "fairaudit.toml", "--no-fisher", "--bootstrap", "20", "--data", data.path,
                    "--partial", out,
                ] + extra
            if data == b { args += ["--columns", header, "--row-offset", offset] }
            let r = try CLI.run(args, in: Self.adult)
            #expect(r.code == 0, "\(r.stderr)")
            return out
        }
        let first = try part("a.json", [], data: a)
        let good = try part("b.json", [])
        #expect(try CLI.run(["merge", first, good], in: Self.adult).code == 0)
        let cases: [(String, String)] = [
            (try part("seed.json", ["--seed", "9"]), "seed"),
            (try part("threshold.json", ["--threshold", "0.4"]), "options"),
            (try part("overlap.json", [], offset: "499"), "overlap"),
        ]
        // Another model: the good part with its model hash changed, as a part from other weights reads.
        let other = dir.appendingPathComponent("other.json")
        let text = try String(contentsOfFile: good, encoding: .utf8)
        let hash = try #require(text.range(of: #""hash":"[0-9a-f]+""#, options: .regularExpression))
        try text.replacingCharacters(in: hash, with: #""hash":"123abc""#).write(
            to: other, atomically: true, encoding: .utf8)
        for (path, word) in cases + [(other.path, "another model")] {
            let r = try CLI.run(["merge", first, path, "--json"], in: Self.adult)
            #expect(r.code == 2, "\(path): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && r.stderr.contains(path) && r.stderr.contains(word), "\(r.stderr)")
        }
    }

    /// With the Fisher on, two shards given the groups' row counts merge into
    /// the single run's Fisher section (within 1e-9 relative); a shard with
    /// other permutation rounds, or without the Fisher, is refused on one line.
    @Test func fisherShardsMergeIntoTheSingleRun() throws {
        let dir = try CLI.temporaryDirectory()
        let (header, a, b) = try Self.split(at: 1234, in: dir)
        let common = ["audit", "--config", "fairaudit.toml", "--bootstrap", "20", "--permutations", "6"]
        let single = try CLI.run(common + ["--json"], in: Self.adult)
        #expect(single.code == 0, "\(single.stderr)")
        let s = try Self.json(single.stdout)
        let fisher = try #require(s["fisher"] as? [String: Any])
        let groups = try #require(fisher["groups"] as? [[String: Any]])
        let counts = Dictionary(
            uniqueKeysWithValues: groups.compactMap { g in (g["name"] as? String).map { ($0, g["count"] as? Int ?? 0) }
            })
        let countsFile = dir.appendingPathComponent("counts.json")
        try JSONSerialization.data(withJSONObject: counts).write(to: countsFile)
        func part(_ name: String, _ data: URL, _ extra: [String]) throws -> String {
            let out = dir.appendingPathComponent(name).path
            var args = common + ["--data", data.path, "--null-counts", countsFile.path, "--partial", out] + extra
            if data == b { args += ["--columns", header, "--row-offset", "1234"] }
            let r = try CLI.run(args, in: Self.adult)
            #expect(r.code == 0, "\(r.stderr)")
            return out
        }
        let pa = try part("a.json", a, [])
        let pb = try part("b.json", b, [])
        let merged = try CLI.run(["merge", pb, pa, "--json"], in: Self.adult)
        #expect(merged.code == 0, "\(merged.stderr)")
        let m = try #require(try Self.json(merged.stdout)["fisher"] as? [String: Any])
        func compare(_ x: Any?, _ y: Any?, _ path: String) {
            switch (x, y) {
            case (let u as [String: Any], let v as [String: Any]):
                #expect(Set(u.keys) == Set(v.keys), "\(path)")
                for k in u.keys { compare(u[k], v[k], path + "." + k) }
            case (let u as [Any], let v as [Any]):
                #expect(u.count == v.count, "\(path)")
                for (i, (p, q)) in zip(u, v).enumerated() { compare(p, q, "\(path)[\(i)]") }
            case (let u as NSNumber, let v as NSNumber) where !(u is Bool):
                let p = u.doubleValue
                let q = v.doubleValue
                #expect(abs(p - q) <= 1e-9 * max(abs(p), abs(q)), "\(path): \(p) vs \(q)")
            default:
                #expect("\(String(describing: x))" == "\(String(describing: y))", "\(path)")
            }
        }
        compare(fisher, m, "fisher")
        #expect((fisher["pairs"] as? [[String: Any]])?.isEmpty == false)
        for (extra, word) in [(["--permutations", "5"], "permutation rounds"), (["--no-fisher"], "Fisher")] {
            let other = try part("other.json", b, extra)
            let r = try CLI.run(["merge", pa, other], in: Self.adult)
            #expect(r.code == 2 && r.stdout.isEmpty, "\(r.stderr)")
            #expect(
                r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("other.json")
                    && r.stderr.contains(word), "\(r.stderr)")
        }
        // Without the groups' counts a shard with permutation rounds is refused before reading the rows.
        let bare = try CLI.run(common + ["--data", a.path, "--partial", "-"], in: Self.adult)
        #expect(bare.code == 2 && bare.stderr.contains("--null-counts"), "\(bare.stderr)")
    }
}
