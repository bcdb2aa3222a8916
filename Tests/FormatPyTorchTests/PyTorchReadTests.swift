import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatPyTorch

/// Reading what torch.save wrote, compared with what torch.load(weights_only=True) gives.
@Suite struct PyTorchReadTests {
    @Test(arguments: [
        "views.pt", "dtypes.pt", "parameter.pt", "unsigned.pt", "adult_mlp_state_dict.pt", "adult_mlp_checkpoint.pt",
    ])
    func valuesEqualTorchLoad(file: String) throws {
        let graph = try Plugins.formats.read(Fixtures.url(file))
        #expect(graph.format == "pytorch")
        let want = try #require(Fixtures.expected()[file] as? [String: Any])
        // bf16/f16/f32 widen to double exactly; Foundation's JSON reader can be an ulp off.
        try Fixtures.expectValues(graph, want, tolerance: 1e-14, file: file)
    }

    @Test func nestedCheckpointNamesTensorsByKeyPathAndKeepsTheRestAsMetadata() throws {
        let graph = try Plugins.formats.read(Fixtures.url("adult_mlp_checkpoint.pt"))
        #expect(
            graph.tensors.map(\.name) == [
                "state_dict.net.0.weight", "state_dict.net.0.bias", "state_dict.net.2.weight",
                "state_dict.net.2.bias", "state_dict.net.4.weight", "state_dict.net.4.bias",
            ])
        #expect(graph.layout == .torchStateDict)
        let want = try #require(Fixtures.expected()["adult_mlp_checkpoint.pt.metadata"] as? [String: String])
        for (k, v) in want { #expect(graph.metadata.contains { $0.key == k && $0.value == v }, "\(k) = \(v)") }
    }

    @Test func viewsShareOneStorageAndNonContiguousOnesAreGathered() throws {
        let graph = try Plugins.formats.read(Fixtures.url("views.pt"))
        #expect(graph.metadata.contains { $0.key == "storages" && $0.value == "1" })
        let base = try graph.tensor(named: "base").floatValues()
        let t = try graph.tensor(named: "t")
        #expect(t.shape == [10, 6])
        let tv = try t.floatValues()
        var ok = true
        for r in 0..<6 { for c in 0..<10 where base[r * 10 + c] != tv[c * 6 + r] { ok = false } }
        #expect(ok, "t is base transposed, in C order")
        #expect(try graph.tensor(named: "col").floatValues() == (0..<6).map { base[$0 * 10 + 3] })
    }

    @Test(arguments: [("complex.pt", "torch.ComplexFloatStorage"), ("float8.pt", "torch.float8_e4m3fn")])
    func complexAndFloat8AreRefusedByName(file: String, type: String) throws {
        let url = try Fixtures.url(file)
        #expect { try Plugins.formats.read(url) } throws: { "\($0)".contains(type) && "\($0)".contains(url.path) }
    }

    @Test func legacyAndTorchScriptFilesAreRefusedSayingWhichTheyAre() throws {
        let legacy = try Fixtures.url("legacy.pt")
        let script = try Fixtures.url("torchscript.pt")
        #expect { try Plugins.formats.read(legacy) } throws: {
            "\($0)".contains("legacy") && "\($0)".contains(legacy.path)
        }
        #expect { try Plugins.formats.read(script) } throws: {
            "\($0)".contains("TorchScript") && "\($0)".contains(script.path)
        }
    }
}

/// The restricted unpickler on hostile checkpoints: every one refused with
/// one line naming the file, and no payload run.
@Suite(.serialized) struct HostileCheckpointTests {
    static let marker = "/tmp/fairaudit-unpickler-pwned"
    static let corpus = Fixtures.files(in: "hostile")

    @Test func theCorpusIsThere() { #expect(Self.corpus.count >= 17) }

    @Test(arguments: corpus)
    func refusedWithOneLineAndNothingRun(file: String) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let url = try Fixtures.url(file, in: "hostile")
        do {
            let graph = try Plugins.formats.read(url)
            _ = try graph.tensors.map { try $0.rawBytes() }
            Issue.record("\(file) was read")
        } catch {
            let text = "\(error)"
            #expect(error is PyTorchError, "\(file): \(type(of: error)) \(text)")
            #expect(text.contains(url.path) && !text.contains("\n"), "\(file): \(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "\(file): the payload created \(Self.marker)")
    }

    @Test(arguments: [
        ("os_system.pt", "posix.system"), ("eval.pt", "eval"), ("popen_proto4.pt", "subprocess.Popen"),
        ("model_class.pt", "torch.nn.modules.linear.Linear"), ("arbitrary_global.pt", "shutil.rmtree"),
    ])
    func forbiddenGlobalsAreNamed(file: String, global: String) throws {
        let url = try Fixtures.url(file, in: "hostile")
        #expect { try Plugins.formats.read(url) } throws: { "\($0)".contains(global) }
    }

    @Test(arguments: [
        ("offset_past_end.pt", "'bf16'"), ("storage_too_big.pt", "storage '0'"),
        ("missing_data_pkl.pt", "data.pkl"), ("deep_nesting.pt", "deeper than 64"), ("huge_memo.pt", "memo index"),
    ])
    func structuralLiesAreNamed(file: String, words: String) throws {
        let url = try Fixtures.url(file, in: "hostile")
        #expect { try Plugins.formats.read(url) } throws: { "\($0)".contains(words) }
    }
}
