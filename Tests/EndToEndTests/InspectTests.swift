import Foundation
import Testing

/// `fairaudit inspect --json` on the numpy-written state dicts agrees with
/// numpy: names, shapes, dtypes, and statistics within 1e-6 relative.
@Suite struct InspectTests {
    static let resources = CLI.packageRoot.appendingPathComponent("Tests/FormatNPZTests/Resources")

    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-6) -> Bool {
        abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)
    }

    @Test(arguments: ["adult_mlp_torch.npz", "adult_mlp_torch_z.npz"])
    func jsonMatchesNumpy(file: String) throws {
        let expected = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.resources.appendingPathComponent("expected.json"))) as? [String: Any])
        let want = try #require((expected[file] as? [String: Any])?["tensors"] as? [[String: Any]])
        let r = try CLI.run(["inspect", "--json", Self.resources.appendingPathComponent(file).path])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["format"] as? String == "npz")
        #expect(doc["layout"] as? String == "torch-state-dict")
        let got = try #require(doc["tensors"] as? [[String: Any]])
        #expect(got.count == 6)
        #expect(got.map { $0["name"] as? String } == want.map { $0["name"] as? String })
        for (g, w) in zip(got, want) {
            #expect(g["dtype"] as? String == w["dtype"] as? String)
            #expect(g["shape"] as? [Int] == w["shape"] as? [Int])
            let gs = try #require(g["stats"] as? [String: Any])
            let ws = try #require(w["stats"] as? [String: Double])
            for key in ["min", "max", "mean", "std"] {
                let a = try #require(gs[key] as? Double)
                let b = try #require(ws[key])
                #expect(Self.close(a, b), "\(g["name"] ?? "") \(key): \(a) vs numpy \(b)")
            }
            #expect(gs["nan"] as? Int == 0 && gs["inf"] as? Int == 0)
        }
        let params = want.reduce(0) { $0 + (($1["shape"] as? [Int])?.reduce(1, *) ?? 0) }
        #expect(doc["parameters"] as? Int == params)
        #expect(doc["bytes"] as? Int == params * 4)
    }

    @Test func noStatsOmitsStatisticsAndTextListsEveryTensor() throws {
        let path = Self.resources.appendingPathComponent("adult_mlp_torch_z.npz").path
        let r = try CLI.run(["inspect", "--no-stats", "--json", path])
        #expect(r.code == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tensors = try #require(doc["tensors"] as? [[String: Any]])
        #expect(tensors.allSatisfy { $0["stats"] == nil })
        let text = try CLI.run(["inspect", path])
        for name in ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias"] {
            #expect(text.stdout.contains(name))
        }
        #expect(text.stdout.contains("(64, 80)") && text.stdout.contains("7297 parameters"))
    }
}
