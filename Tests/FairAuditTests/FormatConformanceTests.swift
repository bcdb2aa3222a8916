import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The suite every format plugin passes (docs/architecture.md): read → write (based
/// on the source, no changes) → read gives identical tensors; the unchanged
/// copy is byte-identical to its source member by member; changing one tensor
/// changes only that tensor; truncated and corrupt files throw, never crash.
///
/// To add a format: copy small fixture files into `Tests/FairAuditTests/Resources/`
/// and list them in `fixtures`; the format is picked by the registry from the
/// file's bytes. If its container has members (datasets, zip entries), teach
/// `members(of:)` to list their raw bytes.
@Suite struct FormatConformanceTests {
    /// Fixture files, each written by the tool users have (numpy, h5py, Keras).
    static let fixtures: [String] = [
        // npz / npy, written by numpy
        "arrays.npz", "arrays_z.npz", "descriptor.npz", "adult_mlp_torch_z.npz", "bare_fortran.npy",
        // HDF5 (Keras 3 and 2 model.save, Keras 3 save_weights, h5py) and a Keras 3 .keras zip
        "adult_mlp.h5", "adult_mlp_keras2.h5", "adult_mlp.weights.h5", "adult_mlp_torch.h5", "adult_mlp.keras",
        // safetensors (one file and a 2-shard set with its index) and torch.save checkpoints, written by torch
        "adult_mlp.safetensors", "adult_mlp_sharded.safetensors.index.json",
        "adult_mlp_state_dict.pt", "adult_mlp_checkpoint.pt", "dtypes.pt",
    ]

    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        if name.hasSuffix(".safetensors.index.json") {
            let shards = ["-00001-of-00002.safetensors", "-00002-of-00002.safetensors"]
            let stem = String(name.dropLast(".safetensors.index.json".count))
            for s in shards { _ = try url(stem + s) }  // the shards sit beside the index
        }
        return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Resources"),
                            "missing fixture \(name)")
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The container's members as raw bytes, by name: a zip's member records
    /// (local header + data + descriptor); a bare `.npy` as one member.
    /// Nil for a format that has not said how to list its members yet.
    static func members(of url: URL) throws -> [(String, Data)]? {
        let prefix = try FormatRegistry.prefix(of: url)
        if prefix.starts(with: [0x50, 0x4B]) {
            let zip = try ZipArchive(url: url)
            return try zip.entries.map { ($0.name, try zip.rawRecord(for: $0)) }
        }
        // safetensors: the header, then each tensor's bytes; a sharded set: the index, then each shard's members.
        if prefix.count >= 9, prefix[8] == UInt8(ascii: "{") {
            let bytes = try Data(contentsOf: url)
            let n = Int(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            var out = [("header", bytes.prefix(8 + n))]
            let graph = try Plugins.formats.read(url)
            for t in graph.tensors { out.append((t.name, try t.rawBytes())) }
            return out
        }
        if prefix.first == UInt8(ascii: "{") {
            let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            let shards = (index?["weight_map"] as? [String: String]).map { Array(Set($0.values)).sorted() } ?? []
            var out = [(url.lastPathComponent, try Data(contentsOf: url))]
            for s in shards {
                let shard = url.deletingLastPathComponent().appendingPathComponent(s)
                out += (try members(of: shard) ?? []).map { ("\(s)/\($0.0)", $0.1) }
            }
            return out
        }
        // HDF5: the whole file as one member (an unchanged copy must be byte-identical).
        if prefix.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) || prefix.starts(with: [0x89, 0x48, 0x44, 0x46]) {
            return [(url.lastPathComponent, try Data(contentsOf: url))]
        }
        return nil
    }

    /// Reads `url` with the format the registry picks, and every tensor's bytes.
    static func readAll(_ url: URL) throws -> (ModelGraph, [Data]) {
        let graph = try Plugins.formats.read(url)
        return (graph, try graph.tensors.map { try $0.rawBytes() })
    }

    @Test(arguments: fixtures)
    func roundTripKeepsEveryTensor(fixture: String) throws {
        let src = try Self.url(fixture)
        let format = try Plugins.formats.format(for: src)
        let (graph, bytes) = try Self.readAll(src)
        #expect(!graph.tensors.isEmpty)
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent(fixture)
        try format.write(graph, to: out, basedOn: src)
        let (back, backBytes) = try Self.readAll(out)
        #expect(back.format == graph.format)
        #expect(back.tensors.map(\.name) == graph.tensors.map(\.name))
        for (a, b) in zip(graph.tensors, back.tensors) {
            #expect(a.dtype == b.dtype && a.shape == b.shape && a.byteOrder == b.byteOrder, "\(fixture): \(a.name)")
        }
        #expect(bytes == backBytes, "\(fixture): tensor bytes changed on an unmodified round trip")
        for (t, d) in zip(graph.tensors, bytes) { #expect(d.count == t.byteCount, "\(fixture): \(t.name)") }
    }

    @Test(arguments: fixtures)
    func unchangedCopyIsByteIdenticalMemberByMember(fixture: String) throws {
        let src = try Self.url(fixture)
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent(fixture)
        try Plugins.formats.format(for: src).write(try Plugins.formats.read(src), to: out, basedOn: src)
        let a = try #require(try Self.members(of: src), "\(fixture): members(of:) does not know this container")
        let b = try #require(try Self.members(of: out))
        #expect(a.map(\.0) == b.map(\.0))
        for ((name, x), (_, y)) in zip(a, b) { #expect(x == y, "\(fixture): member \(name) differs from its source") }
    }

    @Test(arguments: fixtures)
    func oneModifiedTensorChangesOnlyIt(fixture: String) throws {
        let src = try Self.url(fixture)
        let format = try Plugins.formats.format(for: src)
        var (graph, bytes) = try Self.readAll(src)
        let k = try #require(graph.tensors.firstIndex { $0.dtype.isFloatingPoint && $0.elementCount > 1 })
        let target = graph.tensors[k]
        let new = try target.floatValues().enumerated().map { i, v in v * 0.5 + Float(i % 3) + 1 }
        try graph.replaceValues(of: target.name, with: new)
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent(fixture)
        try format.write(graph, to: out, basedOn: src)

        let (back, backBytes) = try Self.readAll(out)
        #expect(back.tensors.map(\.name) == graph.tensors.map(\.name))
        let expected = Tensor.encode(new.map(Double.init), dtype: target.dtype, byteOrder: target.byteOrder)
        #expect(backBytes[k] == expected, "\(fixture): \(target.name) does not hold the new values")
        #expect(backBytes[k] != bytes[k])
        for i in graph.tensors.indices where i != k {
            #expect(backBytes[i] == bytes[i], "\(fixture): \(graph.tensors[i].name) changed but was not modified")
        }
        if let a = try Self.members(of: src), let b = try Self.members(of: out), a.count > 1 {
            let changed = zip(a, b).filter { $0.0.1 != $0.1.1 }.map(\.0.0)
            #expect(changed.count == 1, "\(fixture): members changed: \(changed)")
        }
    }

    @Test(arguments: fixtures)
    func truncatedFilesThrow(fixture: String) throws {
        let data = try Data(contentsOf: Self.url(fixture))
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for cut in [0, 1, 8, 64, data.count / 4, data.count / 2, data.count * 3 / 4, data.count - 8, data.count - 1] {
            let url = dir.appendingPathComponent("cut\(cut)-\(fixture)")
            try data.prefix(max(0, cut)).write(to: url)
            #expect(throws: (any Error).self, "\(fixture) cut at \(cut) was read without error") { try Self.readAll(url) }
        }
    }

    @Test(arguments: fixtures)
    func corruptFilesThrowOrReadNeverCrash(fixture: String) throws {
        let data = try Data(contentsOf: Self.url(fixture))
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var noMagic = data
        noMagic.replaceSubrange(0..<8, with: [UInt8](repeating: 0xEE, count: 8))
        let url = dir.appendingPathComponent("nomagic-\(fixture)")
        try noMagic.write(to: url)
        #expect(throws: (any Error).self) { try Self.readAll(url) }
        // Overwrite 8-byte blocks across the file: any outcome but a crash or hang is allowed.
        for start in stride(from: 8, to: data.count - 8, by: max(8, data.count / 64)) {
            var bad = data
            bad.replaceSubrange(start..<(start + 8), with: [UInt8](repeating: 0xA5, count: 8))
            let u = dir.appendingPathComponent("block\(start)-\(fixture)")
            try bad.write(to: u)
            _ = try? Self.readAll(u)
        }
    }
}
