import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `audit` and `fix` on the Adult MLP as safetensors (one file, two shards)
/// and as torch.save checkpoints give the HDF5 copy's numbers; hostile
/// checkpoints exit 2 with one line and run nothing.
@Suite struct CheckpointFormatsCLITests {
    static let root = CLI.packageRoot
    static let data = root.appendingPathComponent("examples/adult/groups.csv").path
    static let hdf5 = "Tests/FormatSafeTensorsTests/Resources/adult_mlp_torch.h5"
    static let models = [
        "Tests/FormatSafeTensorsTests/Resources/adult_mlp.safetensors",
        "Tests/FormatSafeTensorsTests/Resources/adult_mlp_sharded.safetensors.index.json",
        "Tests/FormatPyTorchTests/Resources/adult_mlp_state_dict.pt",
        "Tests/FormatPyTorchTests/Resources/adult_mlp_checkpoint.pt",
    ]

    /// Every number in a JSON report by its path, leaving out timings and tensor names.
    static func numbers(_ json: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        func walk(_ v: Any, _ path: String) {
            if let d = v as? [String: Any] {
                for (k, x) in d where !["seconds", "timing", "seconds_per_epoch", "ranks"].contains(k) {
                    walk(x, path + "." + k)
                }
            } else if let a = v as? [Any] {
                for (i, x) in a.enumerated() { walk(x, "\(path)[\(i)]") }
            } else if let n = v as? NSNumber, !(v is Bool) {
                out[path] = n.doubleValue
            }
        }
        walk(try JSONSerialization.jsonObject(with: Data(json.utf8)), "")
        return out
    }

    static func expectSameNumbers(_ a: String, _ b: String, _ what: String) throws {
        let x = try numbers(a)
        let y = try numbers(b)
        #expect(x.count > 20 && Set(x.keys) == Set(y.keys), "\(what): different report shapes")
        let worst = x.map { abs($0.value - (y[$0.key] ?? .infinity)) }.max() ?? .infinity
        #expect(worst <= 1e-6, "\(what): largest difference from the HDF5 model \(worst)")
    }

    static let auditArgs = [
        "--data", data, "--label", "income", "--group", "sex", "--ignore", "race", "--json",
        "--bootstrap", "20", "--permutations", "10",
    ]

    @Test(arguments: models)
    func auditEqualsTheHDF5Model(model: String) throws {
        let ref = try CLI.run(["audit", Self.root.appendingPathComponent(Self.hdf5).path] + Self.auditArgs)
        let got = try CLI.run(["audit", Self.root.appendingPathComponent(model).path] + Self.auditArgs)
        #expect(ref.code == 0 && got.code == 0, "\(got.stderr)")
        try Self.expectSameNumbers(ref.stdout, got.stdout, model)
    }

    @Test(arguments: models)
    func fixEqualsTheHDF5ModelAndWritesItsOwnFormat(model: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func fix(_ m: String, _ out: String) throws -> CLI.Result {
            try CLI.run([
                "fix", Self.root.appendingPathComponent(m).path, "--data", Self.data, "--label", "income", "--group",
                "sex",
                "--ignore", "race", "--epochs", "1", "--force-write", "--json", "-o",
                dir.appendingPathComponent(out).path,
            ])
        }
        let name = URL(fileURLWithPath: model).lastPathComponent
        let ref = try fix(Self.hdf5, "fixed.h5")
        let got = try fix(model, "fixed-" + name)
        #expect(ref.code == 0 && got.code == 0, "\(got.stderr)")
        try Self.expectSameNumbers(ref.stdout, got.stdout, model)
        let written = try Plugins.formats.read(dir.appendingPathComponent("fixed-" + name))
        let input = try Plugins.formats.read(Self.root.appendingPathComponent(model))
        #expect(written.format == input.format && written.tensors.map(\.name) == input.tensors.map(\.name))
        // The fixed weights are the HDF5 fix's weights, tensor for tensor.
        let h5 = try Plugins.formats.read(dir.appendingPathComponent("fixed.h5"))
        for t in h5.tensors {
            let mine = try #require(written.tensors.first { $0.name.hasSuffix(t.name) }, "\(t.name)")
            let a = try t.floatValues()
            let b = try mine.floatValues()
            #expect(zip(a, b).map { abs($0 - $1) }.max() ?? 0 <= 1e-6, "\(t.name)")
        }
    }

    @Test func convertGoesToAndFromSafetensorsAndPyTorch() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = Self.root.appendingPathComponent(Self.models[0])
        let pt = dir.appendingPathComponent("w.pt")
        let back = dir.appendingPathComponent("back.safetensors")
        let keras = dir.appendingPathComponent("keras.safetensors")
        let h5 = dir.appendingPathComponent("w.h5")
        for (a, b, extra) in [
            (src, pt, [String]()), (pt, back, []), (src, keras, ["--layout", "keras"]), (keras, h5, []),
        ] {
            let r = try CLI.run(["convert", a.path, b.path] + extra)
            #expect(r.code == 0, "\(a.lastPathComponent) → \(b.lastPathComponent): \(r.stderr)")
        }
        let original = try Plugins.formats.read(src)
        #expect(try Plugins.formats.read(pt).format == "pytorch")
        let roundTrip = try Plugins.formats.read(back)
        #expect(roundTrip.format == "safetensors")
        for t in original.tensors {
            #expect(
                try roundTrip.tensor(named: t.name).rawBytes() == t.rawBytes(), "\(t.name): a copy keeps every byte")
        }
        let k = try Plugins.formats.read(h5).tensor(named: "net.0/kernel")
        #expect(k.shape == [80, 64], "--layout keras stores dense kernels in×out")
    }

    @Test func fixNamesTheOutputOfAShardedSetAfterItsIndex() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = [
            "adult_mlp_sharded.safetensors.index.json", "adult_mlp_sharded-00001-of-00002.safetensors",
            "adult_mlp_sharded-00002-of-00002.safetensors",
        ]
        for n in names {
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent("Tests/FormatSafeTensorsTests/Resources/" + n),
                to: dir.appendingPathComponent(n))
        }
        let r = try CLI.run(
            [
                "fix", names[0], "--data", Self.data, "--label", "income", "--group", "sex", "--ignore", "race",
                "--epochs", "1", "--force-write",
            ], in: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(
            files
                == Set(
                    names + [
                        "adult_mlp_sharded.fair.safetensors.index.json",
                        "adult_mlp_sharded.fair-00001-of-00002.safetensors",
                        "adult_mlp_sharded.fair-00002-of-00002.safetensors",
                    ]), "\(files.sorted())")
        let fixed = try Plugins.formats.read(
            dir.appendingPathComponent("adult_mlp_sharded.fair.safetensors.index.json"))
        #expect(fixed.metadata.contains { $0.key == "shards" && $0.value == "2" })
    }

    @Test func hostileCheckpointsExitTwoWithOneLineAndRunNothing() throws {
        let dir = Self.root.appendingPathComponent("Tests/FormatPyTorchTests/Resources/hostile")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files.count >= 17)
        let marker = "/tmp/fairaudit-unpickler-pwned"
        for f in files {
            try? FileManager.default.removeItem(atPath: marker)
            let path = dir.appendingPathComponent(f).path
            let r = try CLI.run(["inspect", path])
            #expect(r.code == 2, "\(f): exit \(r.code)")
            #expect(r.stdout.isEmpty, "\(f): printed \(r.stdout.prefix(200))")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && r.stderr.contains(path), "\(f): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "\(f): the payload ran")
        }
    }
}
