import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatNPZ

/// Writing back: untouched members byte for byte, changed ones in their own dtype, byte order and order.
@Suite struct NPZWriteTests {
    /// A graph read from a numpy `savez` file and written without a source is numpy's file, byte for byte.
    @Test func freshWriteIsWhatSavezWrites() throws {
        let src = try Fixtures.url("adult_mlp_torch.npz")
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fresh.npz")
        try NPZFormat.write(try NPZFormat.read(src), to: out, basedOn: nil)
        #expect(try Data(contentsOf: out) == Data(contentsOf: src))
    }

    /// Unchanged, with a source: the whole file comes out identical (members, directory, end record).
    @Test(arguments: ["arrays.npz", "arrays_z.npz", "descriptor.npz", "adult_mlp_torch_z.npz", "bare_fortran.npy"])
    func unchangedCopyIsIdentical(file: String) throws {
        let src = try Fixtures.url(file)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent(file)
        try NPZFormat.write(try NPZFormat.read(src), to: out, basedOn: src)
        #expect(try Data(contentsOf: out) == Data(contentsOf: src))
    }

    /// Changing one tensor rewrites only its member, keeping name, method, header, dtype, byte order and Fortran order.
    @Test(arguments: [
        ("arrays.npz", "fortran"), ("arrays.npz", "be_f4"), ("arrays_z.npz", "fortran3d"),
        ("arrays_z.npz", "f16"), ("descriptor.npz", "f64"), ("adult_mlp_torch_z.npz", "net.2.weight"),
    ])
    func modifiedMemberKeepsItsLayout(file: String, tensor: String) throws {
        let src = try Fixtures.url(file)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var graph = try NPZFormat.read(src)
        let old = try graph.tensor(named: tensor)
        let new = (0..<old.elementCount).map { Float($0 % 7) - 2.5 }
        try graph.replaceValues(of: tensor, with: new)
        let out = dir.appendingPathComponent(file)
        try NPZFormat.write(graph, to: out, basedOn: src)

        let back = try NPZFormat.read(out)
        #expect(back.tensors.map(\.name) == graph.tensors.map(\.name))
        let t = try back.tensor(named: tensor)
        #expect(t.dtype == old.dtype && t.byteOrder == old.byteOrder && t.shape == old.shape)
        let expected = try Tensor.decode(
            Tensor.encode(new.map(Double.init), dtype: old.dtype, byteOrder: old.byteOrder),
            dtype: old.dtype, byteOrder: old.byteOrder, count: new.count, name: tensor)
        #expect(try t.doubleValues() == expected)

        let a = try ZipArchive(url: src)
        let b = try ZipArchive(url: out)
        #expect(a.entries.map(\.name) == b.entries.map(\.name))
        for (ea, eb) in zip(a.entries, b.entries) {
            #expect(ea.method == eb.method, "\(ea.name)")
            if ea.name == tensor + ".npy" {
                let ha = try NPYHeader.parse(a.data(for: ea), file: file, member: ea.name)
                let hb = try NPYHeader.parse(b.data(for: eb), file: file, member: eb.name)
                #expect(ha.preamble == hb.preamble)
                #expect(try a.data(for: ea) != b.data(for: eb))
            } else {
                #expect(try a.rawRecord(for: ea) == b.rawRecord(for: eb), "\(ea.name) was not copied byte for byte")
            }
        }
    }

    /// A Fortran-order member written back stores column-major bytes: element (i, j) at j·rows + i.
    @Test func fortranBytesAreColumnMajor() throws {
        let src = try Fixtures.url("arrays.npz")
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var graph = try NPZFormat.read(src)
        let t = try graph.tensor(named: "fortran")
        #expect(t.shape == [3, 5])
        try graph.replaceValues(of: "fortran", with: (0..<15).map(Float.init))  // C order: (i, j) = 5i + j
        let out = dir.appendingPathComponent("f.npz")
        try NPZFormat.write(graph, to: out, basedOn: src)
        let zip = try ZipArchive(url: out)
        let entry = try #require(zip.entry(named: "fortran.npy"))
        let member = try zip.data(for: entry)
        let h = try NPYHeader.parse(member, file: "f.npz", member: "fortran.npy")
        #expect(h.fortranOrder)
        let stored = try Tensor.decode(
            member.subdata(in: h.dataOffset..<member.count), dtype: .float32,
            byteOrder: .little, count: 15, name: "fortran")
        let columnMajor = (0..<5).flatMap { j in (0..<3).map { i in Double(5 * i + j) } }
        #expect(stored == columnMajor)
    }

    @Test func bareNpyIsWrittenBare() throws {
        let src = try Fixtures.url("bare.npy")
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bare.npy")
        try NPZFormat.write(try NPZFormat.read(src), to: out, basedOn: nil)
        #expect(try Data(contentsOf: out) == Data(contentsOf: src))  // np.save's exact bytes
    }

    @Test func bfloat16CannotBeWritten() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = Tensor(name: "w", dtype: .bfloat16, shape: [2], storage: .bytes(Data(count: 4)))
        let out = dir.appendingPathComponent("w.npz")
        #expect(throws: NPZError.self) {
            try NPZFormat.write(ModelGraph(format: "npz", layout: .arrays, tensors: [t]), to: out, basedOn: nil)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
