import FairAudit
import FormatHDF5
import Foundation
import Testing

/// The value h5py wrote at flat index `i` (scripts/fixtures/make_fastread_fixtures.py).
private func written(_ i: Int, integer: Bool) -> Double {
    integer ? Double((i * 37) % 1009 - 500) : Double((i * 37) % 1009) / 8 - 60
}

/// Every dataset of fastread.h5 (gzip + shuffle with edge chunks, 3-D float16
/// chunks, raw chunks, big-endian whole-row chunks, contiguous, fletcher32,
/// never-written chunks) reads back to exactly the values h5py wrote, in C
/// order, whichever read path it takes.
@Test(arguments: [
    ("gzip_shuffle/f32", [37, 53]), ("gzip/f16_3d", [5, 9, 11]), ("raw_chunks/i16", [1001]),
    ("gzip/f64_be_rows", [20, 30]), ("gzip/f32_whole_rows", [64, 32]), ("contiguous/f32", [40, 25]),
    ("fletcher/f32", [30]),
])
func fastReadPathsGiveWhatH5pyWrote(name: String, shape: [Int]) throws {
    let graph = try HDF5Format.read(try Fixtures.url("fastread.h5"))
    let t = try #require(graph.tensors.first { $0.name == name })
    #expect(t.shape == shape)
    let values = try t.doubleValues()
    #expect(values.count == shape.reduce(1, *))
    let integer = t.dtype == .int16
    let wrong = values.indices.filter { values[$0] != written($0, integer: integer) }
    #expect(wrong.isEmpty, "\(name): \(wrong.count) wrong values, first at \(wrong.first ?? -1)")
}

/// Chunks that were never written hold the dataset's fill value (7.5), not zeros.
@Test func unwrittenChunksReadAsFillValue() throws {
    let graph = try HDF5Format.read(try Fixtures.url("fastread.h5"))
    let values = try #require(graph.tensors.first { $0.name == "fill/f32" }).floatValues()
    for r in 0..<20 {
        for c in 0..<20 { #expect(values[r * 20 + c] == (r < 5 && c < 5 ? 1 : 7.5), "[\(r), \(c)]") }
    }
}

/// A chunk whose deflate stream is damaged is an error naming the file and
/// the dataset, not a crash or wrong values.
@Test func corruptChunkIsAnErrorNamingTheDataset() throws {
    let url = try Fixtures.url("fastread_corrupt.h5")
    let graph = try HDF5Format.read(url)
    let t = try #require(graph.tensors.first { $0.name == "gzip/f32" })
    do {
        _ = try t.rawBytes()
        Issue.record("reading a corrupt chunk succeeded")
    } catch {
        let text = "\(error)"
        #expect(text.contains("gzip/f32") && text.contains(url.path), "\(text)")
    }
}

/// `writeChunked` (the benchmark's gzip file) writes values that read back
/// identically, with shape and dtype kept.
@Test func writeChunkedRoundTrips() throws {
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = try HDF5Format.read(try Fixtures.url("fastread.h5"))
    let graph = ModelGraph(
        format: "hdf5", layout: .arrays, tensors: source.tensors.filter { !$0.name.hasPrefix("fill") })
    let url = dir.appendingPathComponent("chunked.h5")
    try HDF5Format.writeChunked(graph, to: url, chunkBytes: 256, gzipLevel: 1, shuffle: true)
    let back = try HDF5Format.read(url)
    #expect(back.tensors.map(\.name).sorted() == graph.tensors.map(\.name).sorted())
    for t in graph.tensors {
        let b = try #require(back.tensors.first { $0.name == t.name })
        #expect(b.shape == t.shape && b.dtype == t.dtype, "\(t.name)")
        #expect(try b.doubleValues() == t.doubleValues(), "\(t.name)")
    }
}
