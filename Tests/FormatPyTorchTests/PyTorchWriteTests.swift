import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatPyTorch

/// Write-back replaces only changed storages and keeps data.pkl; new
/// checkpoints read back; what cannot be written back is refused.
@Suite struct PyTorchWriteTests {
    static func members(_ url: URL) throws -> [String: Data] {
        let zip = try ZipArchive(url: url)
        return Dictionary(try zip.entries.map { ($0.name, try zip.data(for: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func writeBackReplacesOnlyTheChangedStorage() throws {
        let src = try Fixtures.url("adult_mlp_checkpoint.pt")
        var graph = try Plugins.formats.read(src)
        let name = "state_dict.net.2.bias"
        let new = try graph.tensor(named: name).floatValues().map { $0 + 0.25 }
        try graph.replaceValues(of: name, with: new)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.pt")
        try PyTorchFormat.write(graph, to: out, basedOn: src)
        let a = try Self.members(src)
        let b = try Self.members(out)
        #expect(a.keys.sorted() == b.keys.sorted())
        let changed = a.keys.filter { a[$0] != b[$0] }
        #expect(changed == ["adult_mlp_checkpoint/data/3"], "changed: \(changed)")
        #expect(a["adult_mlp_checkpoint/data.pkl"] == b["adult_mlp_checkpoint/data.pkl"])
        #expect(try Plugins.formats.read(out).tensor(named: name).floatValues() == new)
    }

    @Test func aModifiedViewIsScatteredIntoItsStorage() throws {
        let src = try Fixtures.url("views.pt")
        var graph = try Plugins.formats.read(src)
        let t = try graph.tensor(named: "t")
        let new = (0..<t.elementCount).map { Float($0) }  // t[c][r] = c*6 + r
        try graph.replaceValues(of: "t", with: new)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("views.pt")
        try PyTorchFormat.write(graph, to: out, basedOn: src)
        let back = try Plugins.formats.read(out)
        let base = try back.tensor(named: "base").floatValues()
        // base = tᵀ: base[r][c] = t[c][r] = c*6 + r.
        let want: [Float] = (0..<60).map { i in Float((i % 10) * 6 + i / 10) }
        #expect(base == want)
        #expect(try back.tensor(named: "t").floatValues() == new)
    }

    @Test func newCheckpointRoundTrips() throws {
        let h5 = try Plugins.formats.read(Fixtures.url("adult_mlp_torch.h5"))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("new.pt")
        try PyTorchFormat.write(h5, to: out, basedOn: nil)
        let back = try Plugins.formats.read(out)
        #expect(back.format == "pytorch" && back.tensors.map(\.name) == h5.tensors.map(\.name))
        for (a, b) in zip(h5.tensors, back.tensors) {
            #expect(a.shape == b.shape && a.dtype == b.dtype, "\(a.name)")
            let same = try a.doubleValues() == b.doubleValues()
            #expect(same, "\(a.name): a copy keeps every value")
        }
    }

    @Test func unsignedTensorsRoundTripThroughANewCheckpoint() throws {
        let src = try Plugins.formats.read(Fixtures.url("unsigned.pt"))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("unsigned.pt")
        try PyTorchFormat.write(src, to: out, basedOn: nil)
        let back = try Plugins.formats.read(out)
        #expect(back.tensors.map(\.name) == src.tensors.map(\.name))
        for t in src.tensors {
            let b = try back.tensor(named: t.name)
            #expect(b.dtype == t.dtype && b.shape == t.shape)
            #expect(try b.rawBytes() == t.rawBytes(), "\(t.name): a copy keeps every byte")
        }
    }

    @Test func whatWouldChangeDataPklIsRefused() throws {
        let src = try Fixtures.url("adult_mlp_state_dict.pt")
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var added = try Plugins.formats.read(src)
        added.tensors.append(Tensor(name: "extra", dtype: .float32, shape: [1], storage: .bytes(Data(count: 4))))
        #expect { try PyTorchFormat.write(added, to: dir.appendingPathComponent("a.pt"), basedOn: src) } throws: {
            "\($0)".contains("'extra'")
        }
        var reshaped = try Plugins.formats.read(src)
        let i = try #require(reshaped.tensors.firstIndex { $0.name == "net.0.bias" })
        reshaped.tensors[i].shape = [8, 8]
        reshaped.tensors[i].isModified = true
        #expect { try PyTorchFormat.write(reshaped, to: dir.appendingPathComponent("b.pt"), basedOn: src) } throws: {
            "\($0)".contains("keeps each tensor's dtype and shape")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.pt").path))
    }
}

/// The Adult MLP from a state dict and a nested checkpoint predicts what the
/// HDF5 copy and torch predict.
@Suite struct PyTorchScoresTests {
    @Test(arguments: ["adult_mlp_state_dict.pt", "adult_mlp_checkpoint.pt"])
    func scoresEqualHDF5AndTorch(file: String) throws {
        func scores(_ url: URL) throws -> [Float] {
            var graph = try Plugins.formats.read(url)
            graph.layers = try graph.inferredLayers(activation: .relu, head: .sigmoid)
            let net = try Network(graph: graph)
            let data = try Fixtures.adultSample(width: net.inputWidth)
            return try net.predictScores(features: data.features, rows: data.rowCount)
        }
        let got = try scores(Fixtures.url(file))
        let h5 = try scores(Fixtures.url("adult_mlp_torch.h5"))
        let torch = try Fixtures.floats("adult_sample_torch_scores.f32")
        #expect(got.count == 2000 && h5.count == 2000 && torch.count == 2000)
        let vsH5 = zip(got, h5).map { abs($0 - $1) }.max() ?? .infinity
        let vsTorch = zip(got, torch).map { abs($0 - $1) }.max() ?? .infinity
        #expect(vsH5 <= 1e-6, "\(file): largest difference from the HDF5 model \(vsH5)")
        #expect(vsTorch <= 1e-5, "\(file): largest difference from torch \(vsTorch)")
    }
}
