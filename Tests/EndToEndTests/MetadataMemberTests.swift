import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// npz members that are not weights (a 0-d int epoch, int class ids, a 0-d
/// learning rate): shown by inspect, written back by fix, left out of layer
/// inference; `--exclude` for the rest; one layout detection for inspect and convert.
@Suite struct MetadataMemberTests {
    static let meta = Fixtures.cli("meta_torch.npz")
    static let data = ["--data", Fixtures.cli("sample.csv")] + Fixtures.adultColumns

    @Test func auditRunsAndScoresLikeTheStateDictWithout() throws {
        let a = try CLI.run(["predict", Self.meta] + Self.data)
        let b = try CLI.run(["predict", Fixtures.adultTorch] + Self.data)
        #expect(a.code == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let r = try CLI.run(["audit", Self.meta, "--no-fisher"] + Self.data)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Fairness at threshold 0.5 (300 rows)"))
    }

    @Test func inspectShowsTheMembersAndCountsOnlyWeights() throws {
        let r = try CLI.run(["inspect", Self.meta])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("meta_torch.npz: format npz, layout torch-state-dict\n"))
        #expect(r.stdout.contains("9 tensors (3 metadata), 7297 parameters"))
        #expect(r.stdout.contains("metadata members (not weights): meta_epoch = 12, meta_classes = [0, 1], lr = 0.001"))
        let j = try CLI.run(["inspect", Self.meta, "--json"])
        let doc = try #require(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let tensors = try #require(doc["tensors"] as? [[String: Any]])
        let roles = Dictionary(
            uniqueKeysWithValues: tensors.map { ($0["name"] as? String ?? "", $0["role"] as? String ?? "") })
        #expect(roles["meta_epoch"] == "metadata" && roles["lr"] == "metadata" && roles["meta_classes"] == "metadata")
        #expect(roles["net.0.weight"] == "weight")
        #expect((tensors.first { $0["name"] as? String == "meta_epoch" }?["values"] as? [Double]) == [12])
        #expect(doc["parameters"] as? Int == 7297)
    }

    @Test(arguments: ["out.h5", "out.npz"])
    func inspectAndConvertNameTheSameLayout(output: String) throws {
        let inspected = try CLI.run(["inspect", Self.meta, "--json", "--no-stats"])
        let layout = try #require(
            (JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any])?["layout"] as? String)
        let out = try CLI.temporaryDirectory().appendingPathComponent(output)
        let r = try CLI.run(["convert", Self.meta, out.path, "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        let converted = try #require(
            (JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["layout"] as? String)
        #expect(layout == ModelLayout.torchStateDict.rawValue)
        #expect(converted == layout)
        let again = try CLI.run(["inspect", out.path, "--json", "--no-stats"])
        #expect(
            (try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["layout"] as? String
                == layout)
    }

    @Test func fixWritesTheMembersBack() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("fixed.npz")
        let r = try CLI.run(["fix", Self.meta, "--epochs", "1", "--force-write", "-o", out.path] + Self.data)
        #expect(r.code == 0, "\(r.stderr)")
        let before = try Plugins.formats.read(URL(fileURLWithPath: Self.meta))
        let after = try Plugins.formats.read(out)
        #expect(after.tensors.map(\.name) == before.tensors.map(\.name))
        for name in ["meta_epoch", "meta_classes", "lr"] {
            let a = try before.tensor(named: name)
            let b = try after.tensor(named: name)
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(name)")
            #expect(try a.rawBytes() == b.rawBytes(), "\(name) changed")
        }
        #expect(try before.tensor(named: "net.0.weight").rawBytes() != after.tensor(named: "net.0.weight").rawBytes())
    }

    @Test func aFloatMemberThatIsNotAWeightNeedsExclude() throws {
        let extra = Fixtures.cli("extra_torch.npz")
        let r = try CLI.run(["audit", extra, "--no-fisher"] + Self.data)
        #expect(r.code == 2)
        #expect(
            r.stderr
                == "fairaudit: \(extra): cannot be run: cannot tell which layer the tensors feature_mean belong to (expected weight/bias or running statistics; leave a member that is not a weight out with --exclude)\n"
        )
        let ok = try CLI.run(["predict", extra, "--exclude", "feature_mean"] + Self.data)
        #expect(ok.code == 0, "\(ok.stderr)")
        #expect(ok.stdout == (try CLI.run(["predict", Fixtures.adultTorch] + Self.data)).stdout)
    }
}
