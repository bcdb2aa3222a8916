import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatSafeTensors

/// Writing safetensors: new files, write-back keeping the header, metadata
/// and untouched bytes, sharded sets keeping their sharding, and conversion.
@Suite struct SafeTensorsWriteTests {
    /// The header length and JSON of a file, and its data section.
    static func split(_ url: URL) throws -> (header: Data, data: Data) {
        let d = try Data(contentsOf: url)
        let n = Int(d.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        return (d.prefix(8 + n), d.dropFirst(8 + n))
    }

    @Test func writeBackKeepsTheHeaderAndReplacesOnlyTheModifiedSpan() throws {
        let src = try Fixtures.url("dtypes.safetensors")
        var graph = try Plugins.formats.read(src)
        let target = try graph.tensor(named: "bf16")
        let new = try target.floatValues().map { $0 * 2 }
        try graph.replaceValues(of: "bf16", with: new)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.safetensors")
        try SafeTensorsFormat.write(graph, to: out, basedOn: src)
        let (h0, d0) = try Self.split(src)
        let (h1, d1) = try Self.split(out)
        #expect(h0 == h1, "the header (order, __metadata__, padding) must be copied as it is")
        #expect(d0.count == d1.count)
        let back = try Plugins.formats.read(out)
        #expect(try back.tensor(named: "bf16").floatValues() == new)  // doubling a bf16 value is exact in bf16
        for t in graph.tensors where t.name != "bf16" {
            #expect(try back.tensor(named: t.name).rawBytes() == t.rawBytes(), "\(t.name)")
        }
        #expect(back.metadata.map(\.key) == graph.metadata.map(\.key))
    }

    @Test func aChangedLayoutKeepsOrderAndMetadata() throws {
        let src = try Fixtures.url("dtypes.safetensors")
        var graph = try Plugins.formats.read(src)
        graph.tensors.removeAll { $0.name == "f32" }
        graph.tensors.append(
            Tensor(
                name: "added", dtype: .float32, shape: [2],
                storage: .bytes(Tensor.encode([1, 2], dtype: .float32, byteOrder: .little))))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.safetensors")
        try SafeTensorsFormat.write(graph, to: out, basedOn: src)
        let back = try SafeTensorsFormat.read(out)
        let sourceOrder = try SafeTensorsFormat.read(src).tensors.map(\.name).filter { $0 != "f32" }
        #expect(back.tensors.map(\.name) == sourceOrder + ["added"])
        #expect(try back.tensor(named: "added").floatValues() == [1, 2])
        let meta = back.metadata.filter { $0.key.hasPrefix("metadata.") }
        #expect(meta.map(\.key) == ["metadata.note", "metadata.ünïcode"] && meta.map(\.value) == ["every dtype", "✓"])
    }

    @Test func newFileFromAnotherFormatRoundTrips() throws {
        let h5 = try Plugins.formats.read(Fixtures.url("adult_mlp_torch.h5"))
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("from_h5.safetensors")
        try SafeTensorsFormat.write(h5, to: out, basedOn: nil)
        let back = try Plugins.formats.read(out)
        #expect(back.tensors.map(\.name) == h5.tensors.map(\.name))
        for (a, b) in zip(h5.tensors, back.tensors) {
            #expect(a.shape == b.shape && a.dtype == b.dtype)
            #expect(try a.doubleValues() == b.doubleValues(), "\(a.name): a copy keeps every value")
        }
        let (header, _) = try Self.split(out)
        #expect((header.count - 8) % 8 == 0, "the data section starts 8-byte aligned")
    }

    @Test func shardedWriteBackKeepsTheShardingAndUnchangedShards() throws {
        let src = try Fixtures.url("adult_mlp_sharded.safetensors.index.json")
        var graph = try Plugins.formats.read(src)
        let name = "net.4.weight"
        try graph.replaceValues(of: name, with: try graph.tensor(named: name).floatValues().map { -$0 })
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fixed.safetensors.index.json")
        try SafeTensorsFormat.write(graph, to: out, basedOn: src)
        let index = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let map = try #require(index["weight_map"] as? [String: String])
        let srcMap = try #require(
            (JSONSerialization.jsonObject(with: Data(contentsOf: src)) as? [String: Any])?["weight_map"]
                as? [String: String])
        #expect(Set(map.keys) == Set(srcMap.keys))
        for (k, v) in srcMap {
            #expect(map[k] == v.replacingOccurrences(of: "adult_mlp_sharded", with: "fixed"), "\(k)")
        }
        // The shard without the modified tensor is a byte-identical copy.
        let first = try Data(contentsOf: Fixtures.url("adult_mlp_sharded-00001-of-00002.safetensors"))
        #expect(try Data(contentsOf: dir.appendingPathComponent("fixed-00001-of-00002.safetensors")) == first)
        let back = try Plugins.formats.read(out)
        #expect(try back.tensor(named: name).floatValues() == graph.tensor(named: name).floatValues())
    }

    @Test func aShardedSetWritesAsOneFileWhenAskedTo() throws {
        let src = try Fixtures.url("adult_mlp_sharded.safetensors.index.json")
        let graph = try Plugins.formats.read(src)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("one.safetensors")
        try SafeTensorsFormat.write(graph, to: out, basedOn: src)
        let back = try Plugins.formats.read(out)
        #expect(back.tensors.map(\.name) == graph.tensors.map(\.name))
        #expect(back.metadata.contains { $0.key == "metadata.format" && $0.value == "pt" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["one.safetensors"])
    }

    @Test func shardedWriteNeverOverwritesTheSourceShards() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = [
            "adult_mlp_sharded.safetensors.index.json", "adult_mlp_sharded-00001-of-00002.safetensors",
            "adult_mlp_sharded-00002-of-00002.safetensors",
        ]
        for n in names { try FileManager.default.copyItem(at: Fixtures.url(n), to: dir.appendingPathComponent(n)) }
        let src = dir.appendingPathComponent(names[0])
        let before = try names.map { try Data(contentsOf: dir.appendingPathComponent($0)) }
        let graph = try Plugins.formats.read(src)
        #expect {
            try SafeTensorsFormat.write(
                graph, to: dir.appendingPathComponent("adult_mlp_sharded.index.json"), basedOn: src)
        } throws: { "\($0)".contains("would overwrite") }
        #expect(try names.map { try Data(contentsOf: dir.appendingPathComponent($0)) } == before)
    }

    @Test func convertedToKerasLayoutAndBack() throws {
        var graph = try Plugins.formats.read(Fixtures.url("adult_mlp.safetensors"))
        graph.layers = try graph.inferredLayers(activation: .relu, head: .sigmoid)
        let keras = try graph.converted(to: .keras)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("keras.safetensors")
        try SafeTensorsFormat.write(keras, to: out, basedOn: nil)
        let back = try Plugins.formats.read(out)
        let kernel = try back.tensor(named: "net.0/kernel")
        let weight = try graph.tensor(named: "net.0.weight")
        #expect(kernel.shape == [80, 64])
        let w = try weight.floatValues()
        let k = try kernel.floatValues()
        var transposed = true
        for o in 0..<64 { for i in 0..<80 where w[o * 80 + i] != k[i * 64 + o] { transposed = false } }
        #expect(transposed, "a Keras kernel is the transpose of the PyTorch weight")
    }
}
