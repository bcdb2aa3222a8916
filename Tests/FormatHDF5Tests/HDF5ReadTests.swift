import FairAudit
import FairAuditPlugins
import FormatHDF5
import Foundation
import Testing

/// Every numeric dataset h5py reads from `file` is a tensor with the same
/// shape, dtype, byte order and values (all values up to 256 elements; else
/// the first 16, every k-th, the last and the float64 sum), including chunked
/// datasets with edge chunks and each filter combination.
@Test(arguments: [
    "dtypes.h5", "adult_mlp.h5", "adult_mlp_keras2.h5", "adult_mlp.weights.h5", "adult_mlp_torch.h5", "adult_mlp.keras",
    "soft_link.h5", "hard_alias.h5",
])
func tensorsEqualWhatH5pyReads(file: String) throws {
    let graph = try HDF5Format.read(try Fixtures.url(file))
    let expected = try Fixtures.datasets(file)
    #expect(graph.format == "hdf5")
    #expect(Set(graph.tensors.map(\.name)) == Set(expected.keys))
    for t in graph.tensors {
        let e = try #require(expected[t.name])
        #expect(t.shape == (e["shape"] as? [Int]), "\(t.name)")
        #expect(t.dtype.rawValue == (e["dtype"] as? String), "\(t.name)")
        #expect(t.origin == "/" + t.name)
        let values = try t.doubleValues()
        let want = try #require(e["values"] as? [String]).compactMap(Double.init)
        #expect(want.count == (values.count <= 256 ? values.count : 16))
        for (i, w) in want.enumerated() { #expect(values[i] == w, "\(t.name)[\(i)]") }
        let stride = try #require(e["stride"] as? Int)
        let sample = try #require(e["sample"] as? [String]).compactMap(Double.init)
        for (j, w) in sample.enumerated() { #expect(values[j * stride] == w, "\(t.name)[\(j * stride)]") }
        if let last = (e["last"] as? String).flatMap(Double.init) { #expect(values.last == last, "\(t.name) last") }
        let sum = try #require((e["sum"] as? String).flatMap(Double.init))
        #expect(Fixtures.close(values.reduce(0, +), sum, tol: 1e-9), "\(t.name) sum")
    }
}

@Test func byteOrderAndRawBytesAreAsStored() throws {
    let graph = try HDF5Format.read(try Fixtures.url("dtypes.h5"))
    let be = try graph.tensor(named: "f32_be")
    #expect(be.byteOrder == .big)
    let u16 = try graph.tensor(named: "u16_be")
    #expect(u16.byteOrder == .big)
    // 258 = 0x0102 stored big-endian: bytes 01 02.
    #expect([UInt8](try u16.rawBytes())[2...3] == [0x01, 0x02])
    #expect(try graph.tensor(named: "f64").byteOrder == .little)
    #expect(try graph.tensor(named: "bool").rawBytes() == Data([1, 0, 1, 1, 0]))
    #expect(try graph.tensor(named: "scalar").shape == [])
    #expect(!graph.tensors.contains { $0.name == "names" })  // strings are not tensors
    #expect(graph.metadata.contains { $0.key == "note" && $0.value.contains("names") })
}

@Test func attributesOfEveryKindBecomeMetadata() throws {
    let graph = try HDF5Format.read(try Fixtures.url("dtypes.h5"))
    let meta = Dictionary(graph.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    #expect(meta["@fixed"] == "fixed-str")
    #expect(meta["@vlen"] == "variable string")
    #expect(meta["@vlen_list"] == #"["a","bc","def"]"#)
    #expect(meta["@fixed_list"] == #"["x","yz"]"#)
    #expect(meta["@empty"] == "[]")
    #expect(meta["@int"] == "42")
    #expect(meta["@floats"] == "[0.5,-1.25]")
    #expect(meta["g@note"] == "group attr")
}

@Test(arguments: [
    ("adult_mlp.h5", "keras-legacy"), ("adult_mlp_keras2.h5", "keras-legacy"),
    ("adult_mlp.weights.h5", "keras3-weights"), ("adult_mlp_torch.h5", "torch-state-dict"),
    ("dtypes.h5", "arrays"), ("adult_mlp.keras", "keras-bundle"),
])
func layoutIsDetected(file: String, layout: String) throws {
    let url = try Fixtures.url(file)
    let graph = try Plugins.formats.read(url)
    #expect(graph.format == "hdf5")
    #expect(graph.layout.rawValue == layout)
}

@Test func softLinksAndSecondHardLinksAreSkippedWithANote() throws {
    let soft = try HDF5Format.read(try Fixtures.url("soft_link.h5"))
    #expect(soft.tensors.map(\.name) == ["w"])
    #expect(soft.metadata.filter { $0.key == "note" && $0.value.contains("soft link") }.count == 2)
    let hard = try HDF5Format.read(try Fixtures.url("hard_alias.h5"))
    #expect(hard.tensors.map(\.name) == ["a/w"])
}

@Test func canReadJudgesByContent() throws {
    for file in ["adult_mlp.h5", "adult_mlp.weights.h5", "dtypes.h5", "adult_mlp.keras"] {
        let url = try Fixtures.url(file)
        #expect(HDF5Format.canRead(url, prefix: try FormatRegistry.prefix(of: url)), "\(file)")
    }
    let csv = try Fixtures.url("expected.json")
    #expect(!HDF5Format.canRead(csv, prefix: try FormatRegistry.prefix(of: csv)))
}
