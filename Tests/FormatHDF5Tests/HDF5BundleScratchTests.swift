import FairAudit
import Foundation
import Testing

@testable import FormatHDF5

/// A `.keras` bundle's `model.weights.h5` is extracted to a private
/// temporary file, not held in memory; that file is gone as soon as the
/// read returns (the tensors are read later through descriptors held open),
/// and after every failure: a damaged member, a refusal by the probe, a
/// member libhdf5 rejects, and a write back.
@Suite struct HDF5BundleScratchTests {
    /// Runs `body` with extracted members going to a fresh directory, which must be empty afterwards.
    private func leavesNothing(_ what: String, _ body: () throws -> Void) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HDF5Format.$scratchDirectory.withValue(dir) { try body() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [], "\(what)")
    }

    /// A bundle copied from `adult_mlp.keras` with its weights member changed by `edit`.
    private func damagedBundle(in dir: URL, _ edit: (inout Data, ZipEntry) -> Void) throws -> URL {
        var bytes = try Data(contentsOf: try Fixtures.url("adult_mlp.keras"))
        let e = try #require(try ZipArchive(data: bytes, name: "src").entry(named: "model.weights.h5"))
        edit(&bytes, e)
        let url = dir.appendingPathComponent("damaged.keras")
        try bytes.write(to: url)
        return url
    }

    /// Read: nothing is left once `read` returns, yet every tensor is still
    /// read afterwards, equal to what Keras wrote in the legacy `.h5`.
    @Test func readLeavesNoFileAndTensorsStayReadable() throws {
        var graph: ModelGraph?
        try leavesNothing("read") { graph = try HDF5Format.read(try Fixtures.url("adult_mlp.keras")) }
        let g = try #require(graph)
        let legacy = try HDF5Format.read(try Fixtures.url("adult_mlp.h5"))
        #expect(
            try g.tensor(named: "layers/dense_2/vars/0").rawBytes()
                == legacy.tensor(named: "model_weights/head/sequential/head/kernel").rawBytes())
        for t in g.tensors { #expect(try t.rawBytes().count == t.byteCount, "\(t.name)") }
    }

    /// A weights member whose bytes fail the CRC names the bundle and member; nothing is left.
    @Test func damagedMemberLeavesNoFile() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try damagedBundle(in: dir) { bytes, e in bytes[e.dataOffset + e.compressedSize / 2] ^= 0x01 }
        try leavesNothing("damaged member") {
            do {
                let g = try HDF5Format.read(url)
                Issue.record("read \(g.tensors.count) tensors from a damaged member")
            } catch let e as HDF5Error {
                #expect(
                    "\(e)".contains(url.path) && "\(e)".contains("member 'model.weights.h5' fails its CRC-32 check"),
                    "\(e)")
            }
        }
    }

    /// A probe that gives no verdict refuses the member under its bundle name; nothing is left.
    @Test func probeRefusalLeavesNoFile() throws {
        let url = try Fixtures.url("adult_mlp.keras")
        try leavesNothing("probe refusal") {
            #expect(
                throws: HDF5Error.cannotOpen(
                    file: url.path + "/model.weights.h5",
                    reason: "libhdf5 did not finish checking the file in 0 s; refused")
            ) {
                try HDF5Probe.$timeoutOverride.withValue(0) { _ = try HDF5Format.read(url) }
            }
        }
    }

    /// A member that is not HDF5 is rejected by libhdf5 under its bundle name; nothing is left.
    @Test func memberThatIsNotHDF5LeavesNoFile() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = ZipWriter()
        try w.add(name: "model.weights.h5", data: Data(repeating: 0x41, count: 4096), method: 0)
        let url = dir.appendingPathComponent("garbage.keras")
        try w.finish().write(to: url)
        try leavesNothing("not HDF5") {
            do {
                let g = try HDF5Format.read(url)
                Issue.record("read \(g.tensors.count) tensors from a member that is not HDF5")
            } catch let e as HDF5Error {
                #expect("\(e)".hasPrefix(url.path + "/model.weights.h5: "), "\(e)")
            }
        }
    }

    /// Writing back a bundle (staging, rewrite, verify) leaves nothing
    /// either, and gives the same tensors.
    @Test func writeBackLeavesNoFile() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try Fixtures.url("adult_mlp.keras")
        let out = dir.appendingPathComponent("same.keras")
        try leavesNothing("write back") { try HDF5Format.write(try HDF5Format.read(src), to: out, basedOn: src) }
        let a = try HDF5Format.read(src)
        let b = try HDF5Format.read(out)
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) { #expect(try x.rawBytes() == y.rawBytes(), "\(x.name)") }
    }
}
