import FairAudit
import FormatHDF5
import Foundation
import Testing

/// Test fixtures under Resources/ and what h5py read from them (expected.json,
/// written by scripts/fixtures/make_h5_fixtures.py).
enum Fixtures {
    /// The URL of resource `file` (name with extension).
    static func url(_ file: String) throws -> URL {
        let ns = file as NSString
        var ext = ns.pathExtension
        var base = ns.deletingPathExtension
        if base.hasSuffix(".weights") || base.hasSuffix(".config") {  // adult_mlp.weights.h5
            ext = (base as NSString).pathExtension + "." + ext
            base = (base as NSString).deletingPathExtension
        }
        return try #require(
            Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Resources"),
            "missing fixture \(file)")
    }

    /// h5py's reading of `file`: `datasets` (shape, dtype, values, last, sum) and `attributes`.
    static func expected(_ file: String) throws -> [String: Any] {
        let data = try Data(contentsOf: try url("expected.json"))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(all[file] as? [String: Any], "no expectations for \(file)")
    }

    /// h5py's dataset records of `file`, by path.
    static func datasets(_ file: String) throws -> [String: [String: Any]] {
        try #require(try expected(file)["datasets"] as? [String: [String: Any]])
    }

    /// A fresh temporary directory, removed by the caller.
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fa-hdf5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Reads `file` through the plugin, and every tensor's bytes (reads are
    /// lazy), expecting an `HDF5Error` of one line that names the file and
    /// contains each of `mentions`; records an issue when it is read.
    static func expectRefused(
        _ file: String, mentioning mentions: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let url = try url(file)
        do {
            let graph = try HDF5Format.read(url)
            for t in graph.tensors { _ = try t.rawBytes() }
            Issue.record("\(file) was read without an error", sourceLocation: sourceLocation)
        } catch let e as HDF5Error {
            #expect(e.description.contains(url.path), "\(e)", sourceLocation: sourceLocation)
            for m in mentions { #expect(e.description.contains(m), "\(e)", sourceLocation: sourceLocation) }
            #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
        }
    }

    /// Doubles equal within `tol` (relative for large magnitudes).
    static func close(_ a: Double, _ b: Double, tol: Double = 1e-12) -> Bool {
        abs(a - b) <= tol * max(1, abs(a), abs(b))
    }
}
