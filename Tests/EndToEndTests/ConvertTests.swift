import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// `fairaudit convert` between the Adult MLP's formats and layouts, checked
/// against the files Keras, h5py and numpy wrote.
@Suite struct ConvertTests {
    static let h5 = CLI.packageRoot.appendingPathComponent("Tests/FormatHDF5Tests/Resources/adult_mlp.h5")
    static let torchNPZ = CLI.packageRoot.appendingPathComponent("Tests/FormatNPZTests/Resources/adult_mlp_torch.npz")

    @Test func kerasToTorchLayoutEqualsTheTorchStateDictBitForBit() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("out.npz")
        let r = try CLI.run(["convert", Self.h5.path, out.path, "--layout", "torch"])
        #expect(r.code == 0, "\(r.stderr)")
        let got = try Plugins.formats.read(out)
        let want = try Plugins.formats.read(Self.torchNPZ)
        #expect(got.format == "npz" && got.layout == .torchStateDict)
        #expect(
            got.tensors.map(\.name) == [
                "dense.weight", "dense.bias", "dense_1.weight", "dense_1.bias", "head.weight", "head.bias",
            ])
        #expect(got.tensors.count == want.tensors.count)
        for (g, w) in zip(got.tensors, want.tensors) {
            #expect(g.shape == w.shape && g.dtype == w.dtype, "\(g.name) vs \(w.name)")
            #expect(try g.rawBytes() == w.rawBytes(), "\(g.name) differs from \(w.name)")
        }
    }

    @Test func torchNPZToHDF5KeepsNamesAndValues() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("out.h5")
        let r = try CLI.run(["convert", Self.torchNPZ.path, out.path])
        #expect(r.code == 0, "\(r.stderr)")
        let got = try Plugins.formats.read(out)
        let want = try Plugins.formats.read(Self.torchNPZ)
        #expect(got.format == "hdf5")
        let byName = Dictionary(uniqueKeysWithValues: got.tensors.map { ($0.name, $0) })
        for w in want.tensors {
            let g = try #require(byName[w.name], "\(w.name) missing")
            #expect(g.shape == w.shape && g.dtype == w.dtype)
            #expect(try g.rawBytes() == w.rawBytes())
        }
        #expect(got.tensors.count == want.tensors.count)
    }

    @Test func sameFormatWithoutOptionsIsAnExactCopy() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("copy.h5")
        let r = try CLI.run(["convert", Self.h5.path, out.path])
        #expect(r.code == 0, "\(r.stderr)")
        let a = try Plugins.formats.read(Self.h5)
        let b = try Plugins.formats.read(out)
        #expect(a.layout == b.layout && a.tensors.map(\.name) == b.tensors.map(\.name))
        #expect(a.metadata.map(\.key) == b.metadata.map(\.key) && a.metadata.map(\.value) == b.metadata.map(\.value))
        for (x, y) in zip(a.tensors, b.tensors) { #expect(try x.rawBytes() == y.rawBytes(), "\(x.name)") }
        #expect(b.layers?.map(\.name) == ["input_layer", "dense", "dropout", "dense_1", "head"])
        #expect(try Data(contentsOf: out) == Data(contentsOf: Self.h5))
    }

    @Test func torchBackToKerasLayoutRoundTrips() throws {
        let dir = try CLI.temporaryDirectory()
        let torch = dir.appendingPathComponent("t.npz")
        let keras = dir.appendingPathComponent("k.npz")
        #expect(try CLI.run(["convert", Self.h5.path, torch.path, "--layout", "torch"]).code == 0)
        let r = try CLI.run([
            "convert", torch.path, keras.path, "--layout", "keras", "--activation", "relu", "--head", "sigmoid",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let back = try Plugins.formats.read(keras)
        let original = try Plugins.formats.read(Self.h5)
        // dense/kernel (in×out) equals the Keras kernel bit for bit after two transposes.
        let kernel = try back.tensor(named: "dense/kernel")
        let want = try original.tensor(named: "model_weights/dense/sequential/dense/kernel")
        #expect(kernel.shape == [80, 64])
        #expect(try kernel.rawBytes() == want.rawBytes())
    }

    @Test(arguments: [
        (["convert", "IN", "out.txt"], "cannot tell the output format"),
        (["convert", "IN", "IN"], "never writes over its input"),
        (["convert", "IN", "out.npz", "--layout", "banana"], "banana"),
    ])
    func badRequestsExitTwo(args: [String], message: String) throws {
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("in.npz")
        try FileManager.default.copyItem(at: Self.torchNPZ, to: input)
        let resolved = args.map {
            $0 == "IN" ? input.path : ($0.hasPrefix("out") ? dir.appendingPathComponent($0).path : $0)
        }
        let r = try CLI.run(resolved)
        #expect(r.code == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(try Data(contentsOf: input) == Data(contentsOf: Self.torchNPZ))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["in.npz"])
    }
}
