import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatSafeTensors

/// Reading what safetensors wrote: every dtype, metadata, sharded sets, and
/// every malformed header the reference refuses.
@Suite struct SafeTensorsReadTests {
    @Test func everyDTypeReadsAsTheLibraryReadsIt() throws {
        let graph = try Plugins.formats.read(Fixtures.url("dtypes.safetensors"))
        #expect(graph.format == "safetensors")
        let want = try #require(Fixtures.expected()["dtypes.safetensors"] as? [String: Any])
        // Decoding to double is exact in both libraries; Foundation's JSON reader can be an ulp off.
        try Fixtures.expectValues(graph, want, tolerance: 1e-14, file: "dtypes.safetensors")
        let dtypes = Dictionary(graph.tensors.map { ($0.name, $0.dtype) }, uniquingKeysWith: { a, _ in a })
        #expect(
            dtypes["bf16"] == .bfloat16 && dtypes["f16"] == .float16 && dtypes["u64"] == .uint64
                && dtypes["flags"] == .bool)
        let meta = try #require(Fixtures.expected()["dtypes.safetensors.metadata"] as? [String: String])
        for (k, v) in meta { #expect(graph.metadata.contains { $0.key == "metadata." + k && $0.value == v }, "\(k)") }
    }

    @Test func adultModelMatchesTorchsStateDict() throws {
        let graph = try Plugins.formats.read(Fixtures.url("adult_mlp.safetensors"))
        let want = try #require(Fixtures.expected()["adult_mlp.safetensors"] as? [String: Any])
        try Fixtures.expectValues(graph, want, tolerance: 1e-7, file: "adult_mlp.safetensors")
        #expect(graph.layout == .torchStateDict)
    }

    @Test func tensorsAreSlicesOfTheMapping() throws {
        let graph = try SafeTensorsFormat.read(Fixtures.url("adult_mlp.safetensors"))
        for t in graph.tensors {
            guard case .bytes(let d) = t.storage else {
                Issue.record("\(t.name) is not held as mapped bytes")
                continue
            }
            #expect(d.count == t.byteCount)
        }
    }

    @Test func shardedSetReadsAsOneGraph() throws {
        let single = try Plugins.formats.read(Fixtures.url("adult_mlp.safetensors"))
        let sharded = try Plugins.formats.read(Fixtures.url("adult_mlp_sharded.safetensors.index.json"))
        #expect(sharded.format == "safetensors")
        #expect(sharded.metadata.contains { $0.key == "shards" && $0.value == "2" })
        #expect(Set(sharded.tensors.map(\.name)) == Set(single.tensors.map(\.name)))
        for t in single.tensors {
            #expect(try sharded.tensor(named: t.name).rawBytes() == t.rawBytes(), "\(t.name)")
        }
    }

    static let malformed = Fixtures.files(in: "malformed")

    @Test(arguments: malformed)
    func malformedHeadersAreRefusedWithOneLine(file: String) throws {
        let url = try Fixtures.url(file, in: "malformed")
        do {
            let g = try Plugins.formats.read(url)
            _ = try g.tensors.map { try $0.rawBytes() }
            Issue.record("\(file) was read")
        } catch {
            let text = "\(error)"
            #expect(text.contains(url.path), "\(file): \(text)")
            #expect(!text.contains("\n"), "\(file): \(text)")
            #expect(error is SafeTensorsError, "\(file): \(type(of: error))")
        }
    }

    @Test(arguments: [
        ("gap.safetensors", "'b'"), ("overlap.safetensors", "'b'"), ("shape_mismatch.safetensors", "'a'"),
        ("duplicate.safetensors", "'a'"), ("unknown_dtype.safetensors", "'a'"), ("past_end.safetensors", "'a'"),
    ])
    func tensorProblemsNameTheTensor(file: String, tensor: String) throws {
        let url = try Fixtures.url(file, in: "malformed")
        #expect { try SafeTensorsFormat.read(url) } throws: { "\($0)".contains("tensor \(tensor)") }
    }

    @Test func float8IsRefusedByName() throws {
        let url = try Fixtures.url("f8.safetensors")
        #expect { try Plugins.formats.read(url) } throws: { e in
            "\(e)".contains("F8_E4M3") && "\(e)".contains("'w'") && "\(e)".contains(url.path)
        }
    }

    @Test func indexProblemsAreRefused() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard1 = "adult_mlp_sharded-00001-of-00002.safetensors"
        let shard2 = "adult_mlp_sharded-00002-of-00002.safetensors"
        for s in [shard1, shard2] {
            try FileManager.default.copyItem(at: Fixtures.url(s), to: dir.appendingPathComponent(s))
        }
        let cases: [(String, String)] = [
            ("{\"weight_map\": {\"net.0.bias\": \"../\(shard1)\"}}", "not a file name inside"),
            ("{\"weight_map\": {\"net.0.bias\": \"missing.safetensors\"}}", "does not exist"),
            ("{\"weight_map\": {\"net.0.bias\": \"\(shard2)\", \"net.0.weight\": \"\(shard1)\"}}", "weight_map"),
            ("{\"weight_map\": {\"net.0.bias\": \"\(shard1)\", \"net.0.bias\": \"\(shard1)\"}}", "more than once"),
            (
                "{\"weight_map\": {\"net.0.bias\": \"\(shard1)\", \"net.0.weight\": \"\(shard1)\", \"extra\": \"\(shard1)\"}}",
                "'extra'"
            ),
        ]
        for (i, (json, words)) in cases.enumerated() {
            let url = dir.appendingPathComponent("case\(i).safetensors.index.json")
            try Data(json.utf8).write(to: url)
            #expect(throws: (any Error).self) { try Plugins.formats.read(url) }
            do { _ = try Plugins.formats.read(url) } catch { #expect("\(error)".contains(words), "\(i): \(error)") }
        }
    }
}
