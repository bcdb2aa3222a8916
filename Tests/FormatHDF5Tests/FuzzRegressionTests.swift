import FairAudit
import FormatHDF5
import Foundation
import Testing

/// Inputs found by `scripts/fuzz.sh HDF5` that crashed the reader; each
/// must now give an `HDF5Error` naming the file and the dataset.
///
/// 1. `fuzz_chunk_filter_mask.h5`: `dtypes.h5` with 3 bytes changed so that
///    a chunk of the deflated dataset `g/sub/gz` is marked "filters skipped"
///    while it stores 4 bytes instead of the chunk's 1200; libhdf5 1.10
///    copied 1200 bytes out of the 4-byte buffer (heap over-read, ASan).
///    (The direct chunk reader now checks each chunk's stored size.)
@Test func chunkThatSkippedItsFiltersButIsShortIsRefused() throws {
    let url = try Fixtures.url("fuzz_chunk_filter_mask.h5")
    let graph = try HDF5Format.read(url)
    let gz = try #require(graph.tensors.first { $0.name == "g/sub/gz" })
    #expect(gz.shape == [100, 30])
    do {
        _ = try gz.rawBytes()
        Issue.record("the short chunk of g/sub/gz was read")
    } catch let e as HDF5Error {
        #expect(e.description.contains(url.path), "\(e)")
        #expect(e.description.contains("g/sub/gz"), "\(e)")
        #expect(e.description.contains("a chunk holds 4 bytes, not 1200"), "\(e)")
        #expect(!e.description.contains("\n"))
    }
    // The untouched datasets still read: i32 as h5py wrote it.
    let i32 = try #require(graph.tensors.first { $0.name == "i32" })
    #expect(try i32.doubleValues() == [-2_147_483_648, 5, 7, 2_147_483_647])
}

/// 2. `fuzz_absurd_metadata_size.h5`: `dtypes.h5` with a metadata block size
///    of about 2^63; libhdf5 asks malloc for it. glibc refuses (NULL) and
///    libhdf5 fails cleanly, so the open must end in an `HDF5Error`.
///    (Under ASan the fuzz script sets `allocator_may_return_null=1` to match.)
@Test func absurdMetadataSizeIsAnError() throws {
    try Fixtures.expectRefused("fuzz_absurd_metadata_size.h5")
}

/// 3. `fuzz_global_heap_object_size.h5`: a Keras 2 file whose global heap
///    (where h5py keeps variable-length string attributes) has object 2
///    declaring about 1.1 × 10^19 bytes in a 4096-byte collection; libhdf5
///    1.10 copied that many bytes when reading the attribute (ASan
///    memcpy-param-overlap, a segfault without it). The heap is now checked
///    before libhdf5 opens any object.
@Test func globalHeapObjectLargerThanItsCollectionIsRefused() throws {
    try Fixtures.expectRefused("fuzz_global_heap_object_size.h5", mentioning: ["heap object 2 declares"])
}

/// 4. `fuzz_global_heap_zero_free_space.h5` (a timeout): a global heap
///    collection whose free-space object has size 0; libhdf5 1.10's loop
///    loading the collection never advanced, so even opening a dataset hung.
///    Heaps are now checked when the file is opened. The limit counts the
///    time the test waits behind the others (parallel tests on 2 cores, about
///    3 minutes in all under ThreadSanitizer, over 5 on a machine busy with
///    other builds), so it is set well above that and only catches a real hang.
@Test(.timeLimit(.minutes(20)))
func globalHeapFreeSpaceOfSizeZeroIsRefusedAtOpen() throws {
    try Fixtures.expectRefused("fuzz_global_heap_zero_free_space.h5", mentioning: ["free space has size 0"])
}

/// 5–6. Crashes inside libhdf5 1.10 that no check outside it can see, which
/// the forked probe (`HDF5Probe`) turns into a refusal:
/// `fuzz_global_heap_bad_index.h5` (an attribute's string names heap object
/// 0x800003 of 19; `H5HG_read` checks the index only with an assert: SEGV)
/// and `fuzz_object_header_overread.h5` (a dataset header message makes
/// libhdf5 copy 6.9 GB out of a small buffer).
@Test(arguments: ["fuzz_global_heap_bad_index.h5", "fuzz_object_header_overread.h5"])
func libhdf5CrashesAreRefusedByTheProbe(file: String) throws {
    // "libhdf5 crashed parsing it"; a probe that does not finish in time
    // (a loaded machine) refuses the file too, never reading it in-process.
    try Fixtures.expectRefused(file)
}

/// Writing back into a copy of a source that was never read here (library
/// use) checks the source as reading does: the damaged global heap of
/// `fuzz_global_heap_object_size.h5` is refused with one line naming the
/// output, and nothing is written.
@Test func writeBasedOnADamagedSourceIsRefused() throws {
    let source = try Fixtures.url("fuzz_global_heap_object_size.h5")
    let bias = Tensor(
        name: "model_weights/head/head/bias:0", dtype: .float32, shape: [1],
        storage: .bytes(Tensor.encode([0.5], dtype: .float32, byteOrder: .little)), isModified: true)
    let graph = ModelGraph(format: "hdf5", layout: .kerasWeights, tensors: [bias])
    let dir = try Fixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.h5")
    do {
        try HDF5Format.write(graph, to: out, basedOn: source)
        Issue.record("a copy of a file with a damaged heap was written")
    } catch let e as HDF5Error {
        #expect(e.description.contains("heap object 2 declares"), "\(e)")
        #expect(!e.description.contains("\n"))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
}
