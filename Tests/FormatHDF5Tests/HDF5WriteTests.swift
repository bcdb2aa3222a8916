import CHDF5
import FairAudit
import Foundation
import Testing

@testable import FormatHDF5

/// Read `file`, double the values of `changed`, write back next to it: the
/// result has the same datasets, attributes and layers, the changed tensor's
/// new values, and every other tensor byte for byte.
@Test(arguments: [
    ("adult_mlp.h5", ["model_weights/dense_1/sequential/dense_1/kernel"]),
    ("adult_mlp_keras2.h5", ["model_weights/head/head/bias:0"]),
    ("adult_mlp_torch.h5", ["net.2.weight"]),
    ("dtypes.h5", ["g/sub/gz", "f16", "f32_be", "i32", "bool"]),
])
func writeBackRewritesOnlyModifiedDatasets(file: String, changed: [String]) throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try Fixtures.url(file)
    var graph = try HDF5Format.read(src)
    var want: [String: [Double]] = [:]
    for name in changed {
        let old = try graph.tensor(named: name).floatValues()
        // ×2 is exact in every float type; -1 flips the bools; ints stay in range by halving.
        let new: [Float] = old.map { name == "bool" ? 1 - $0 : name == "i32" ? ($0 / 2).rounded(.towardZero) : $0 * 2 }
        try graph.replaceValues(of: name, with: new)
        want[name] = try graph.tensor(named: name).doubleValues()
    }
    let out = dir.appendingPathComponent("out.h5")
    try HDF5Format.write(graph, to: out, basedOn: src)

    let before = try HDF5Format.read(src)
    let after = try HDF5Format.read(out)
    #expect(after.tensors.map(\.name) == before.tensors.map(\.name))
    #expect(after.layout == before.layout)
    #expect(after.layers == before.layers)
    #expect(after.metadata.map(\.key) == before.metadata.map(\.key))
    #expect(after.metadata.map(\.value) == before.metadata.map(\.value))
    for (b, a) in zip(before.tensors, after.tensors) {
        #expect(a.dtype == b.dtype && a.shape == b.shape && a.byteOrder == b.byteOrder, "\(a.name)")
        if let w = want[a.name] {
            #expect(try a.doubleValues() == w, "\(a.name)")
            #expect(try a.rawBytes() != b.rawBytes(), "\(a.name)")
        } else {
            #expect(try a.rawBytes() == b.rawBytes(), "\(a.name)")
        }
    }
}

/// The gzip+shuffle chunked dataset keeps its chunking and both filters.
@Test func writeBackKeepsChunkingAndFilters() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try Fixtures.url("dtypes.h5")
    var graph = try HDF5Format.read(src)
    try graph.replaceValues(of: "g/sub/gz", with: [Float](repeating: 0.25, count: 3000))
    let out = dir.appendingPathComponent("gz.h5")
    try HDF5Format.write(graph, to: out, basedOn: src)
    let file = try HDF5File.open(out)
    try HDF5Library.locked {
        let d = try HID.dataset(
            H5Dopen2(file.handle.id, "/g/sub/gz", fa_h5p_default()), HDF5Error.tooComplex(file: "", reason: "open"))
        let dcpl = try HID.plist(H5Dget_create_plist(d.id), HDF5Error.tooComplex(file: "", reason: "dcpl"))
        #expect(H5Pget_layout(dcpl.id) == H5D_CHUNKED)
        #expect(H5Pget_nfilters(dcpl.id) == 2)
        var chunk = [hsize_t](repeating: 0, count: 2)
        #expect(H5Pget_chunk(dcpl.id, 2, &chunk) == 2)
        #expect(chunk == [10, 30])
    }
    #expect(try HDF5Format.read(out).tensor(named: "g/sub/gz").floatValues().allSatisfy { $0 == 0.25 })
}

/// Without a source, a new file holds one dataset per tensor, `/` making
/// groups, in each tensor's own dtype and byte order (float16, bool, big-endian, scalar).
@Test func newFileFromTensors() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try HDF5Format.read(try Fixtures.url("dtypes.h5"))
    var tensors = try src.tensors.map { t -> Tensor in
        var c = t
        c.storage = .bytes(try t.rawBytes())
        return c
    }
    tensors.append(
        Tensor(
            name: "net.0.weight", dtype: .float32, shape: [2, 2],
            storage: .bytes(Tensor.encode([1, -2, 3.5, 4], dtype: .float32, byteOrder: .little))))
    let graph = ModelGraph(format: "npz", layout: .arrays, tensors: tensors)
    let out = dir.appendingPathComponent("new.h5")
    try HDF5Format.write(graph, to: out, basedOn: nil)
    let back = try HDF5Format.read(out)
    #expect(Set(back.tensors.map(\.name)) == Set(tensors.map(\.name)))
    for t in tensors {
        let b = try back.tensor(named: t.name)
        #expect(b.dtype == t.dtype && b.shape == t.shape && b.byteOrder == t.byteOrder, "\(t.name)")
        #expect(try b.rawBytes() == t.rawBytes(), "\(t.name)")
    }
    #expect(try back.tensor(named: "net.0.weight").floatValues() == [1, -2, 3.5, 4])
}

/// A modified tensor the source does not have is an error, and nothing is left at the output path.
@Test func writeBackOfUnknownDatasetFails() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try Fixtures.url("adult_mlp_torch.h5")
    var graph = try HDF5Format.read(src)
    graph.tensors[0].origin = "/no/such/dataset"
    graph.tensors[0].isModified = true
    let out = dir.appendingPathComponent("x.h5")
    #expect(throws: HDF5Error.self) { try HDF5Format.write(graph, to: out, basedOn: src) }
    #expect(!FileManager.default.fileExists(atPath: out.path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
}

/// The read-back check after a write that converted types compares values:
/// a value rounded to the dataset's type passes, a different value does not.
@Test(arguments: [
    (0.1, Double(Float16(0.1)), DType.float16, true), (0.1, 0.2, DType.float16, false),
    (1e-8, Double(Float(1e-8)), .float32, true), (1e-8, 1.0001e-8, .float32, false),
    (3.7, 3, .int8, true), (300, 127, .int8, true), (3.7, 5, .int8, false),
    (Double.nan, Double.nan, .float32, true), (1, Double.nan, .float32, false),
])
func conversionCheckComparesValues(value: Double, stored: Double, dtype: DType, same: Bool) {
    #expect(HDF5Format.sameAfterConversion(stored, value, to: dtype) == same)
}
