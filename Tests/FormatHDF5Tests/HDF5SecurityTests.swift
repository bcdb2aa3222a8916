import FairAudit
import FormatHDF5
import Foundation
import Testing

/// Files that must be refused with an `HDF5Error` naming the file (and the
/// link or dataset), never read, never a crash.
@Test(arguments: [
    ("external_link.h5", "ext"), ("external_storage.h5", "ext"), ("truncated.h5", "truncated.h5"),
    ("not_hdf5.h5", "not_hdf5.h5"), ("bad_missing_weight.h5", "dense_1/gone:0"),
    ("bad_string_weight.h5", "head/head/bias:0"), ("bad_shape.h5", "dense_1"),
    ("absurd.h5", "huge_gz"), ("absurd_contiguous.h5", "huge"), ("deep.h5", "deeper than"),
    ("virtual.h5", "'v'"),
    // A fuzzed dtypes.h5 on which libhdf5 1.10.8 itself faults: caught by the forked probe.
    ("crash_header.h5", "crashed"),
])
func badFilesAreRefused(file: String, mention: String) throws {
    try Fixtures.expectRefused(file, mentioning: [mention])
}

@Test func lambdaLayerIsReportedNotRun() throws {
    let graph = try HDF5Format.read(try Fixtures.url("lambda_layer.h5"))
    #expect(graph.layers == nil)
    let note = try #require(graph.architectureNote)
    #expect(note.contains("Lambda"))
    #expect(graph.tensors.count == 7)  // the weights are still read
}

/// Lazy reads from many threads at once go through the one lock and give
/// the same bytes as reading one after the other.
@Test func concurrentLazyReadsAgree() async throws {
    let graph = try HDF5Format.read(try Fixtures.url("adult_mlp.h5"))
    let serial = try graph.tensors.map { try $0.rawBytes() }
    let n = graph.tensors.count
    let results = await withTaskGroup(of: (Int, Data?).self) { group in
        for i in 0..<(n * 4) {
            let t = graph.tensors[i % n]
            group.addTask { (i, try? t.rawBytes()) }
        }
        var out: [Int: Data?] = [:]
        for await (i, d) in group { out[i] = d }
        return out
    }
    #expect(results.count == n * 4)
    for (i, d) in results { #expect(d == serial[i % n]) }
}
