import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// External data: refused by default; allowed, read only from files inside the model's folder.
@Suite struct ONNXExternalDataTests {
    /// The torch Adult model with `0.weight` moved to `location` (at `offset`) in a folder of its own;
    /// `payload` is written there when given. Returns the model and the folder.
    func external(location: String, offset: Int = 0, payload: String? = "weights.bin") throws -> (URL, URL) {
        let dir = try ONNXFixtures.scratch()
        var model = try ONNXFormat.decode(ONNXFixtures.adult)
        let raw = model.graph.initializer[0].rawData
        if let payload {
            try (Data(repeating: 7, count: offset) + raw).write(to: dir.appendingPathComponent(payload))
        }
        model.graph.initializer[0].clearRawData()
        model.graph.initializer[0].dataLocation = .external
        func entry(_ k: String, _ v: String) -> Onnx_StringStringEntryProto {
            var e = Onnx_StringStringEntryProto()
            e.key = k
            e.value = v
            return e
        }
        model.graph.initializer[0].externalData = [
            entry("location", location), entry("offset", "\(offset)"),
            entry("length", "\(raw.count)"),
        ]
        let url = dir.appendingPathComponent("model.onnx")
        let bytes: Data = try model.serializedBytes()
        try bytes.write(to: url)
        return (url, dir)
    }

    func failure(_ url: URL) -> String {
        do {
            _ = try ONNXFormat.read(url, options: ReadOptions(allowExternalData: true))
            return "read without error"
        } catch { return "\(error)" }
    }

    @Test func refusedByDefault() throws {
        let (url, _) = try external(location: "weights.bin")
        #expect(throws: ONNXError.self) { try ONNXFormat.read(url) }
    }

    /// Allowed and inside the folder: the values are the ones the file held, and the model predicts as before.
    @Test func allowedInsideTheFolderReadsTheSameValues() throws {
        let (url, _) = try external(location: "weights.bin", offset: 24)
        let graph = try ONNXFormat.read(url, options: ReadOptions(allowExternalData: true))
        let original = try ONNXFormat.read(ONNXFixtures.adult)
        #expect(try graph.tensor(named: "0.weight").floatValues() == original.tensor(named: "0.weight").floatValues())
        let (x, rows) = try ONNXFixtures.adultFeatures()
        let a = try Network(graph: graph).predictScores(features: x, rows: rows)
        let b = try Network(graph: original).predictScores(features: x, rows: rows)
        #expect(a == b, "the same computation on the same values")
    }

    @Test func parentDirectoryIsRefused() throws {
        let (url, _) = try external(location: "../weights.bin", payload: nil)
        #expect(
            failure(url)
                == "\(url.path): initializer '0.weight': external data location '../weights.bin' climbs out of the model's folder with '..'"
        )
    }

    @Test func absolutePathIsRefused() throws {
        let (url, dir) = try external(location: "", payload: "weights.bin")
        let (url2, _) = try external(location: dir.appendingPathComponent("weights.bin").path, payload: nil)
        #expect(failure(url).contains("names no location"))
        #expect(
            failure(url2)
                == "\(url2.path): initializer '0.weight': external data location '\(dir.appendingPathComponent("weights.bin").path)' is an absolute path; only files inside the model's folder are read"
        )
    }

    /// A symbolic link inside the folder that points outside it is not followed out.
    @Test func symlinkOutOfTheFolderIsRefused() throws {
        let outside = try ONNXFixtures.scratch().appendingPathComponent("secret.bin")
        try Data(repeating: 1, count: 80 * 64 * 4).write(to: outside)
        let (url, dir) = try external(location: "link.bin", payload: nil)
        try FileManager.default.createSymbolicLink(
            at: dir.appendingPathComponent("link.bin"), withDestinationURL: outside)
        #expect(
            failure(url)
                == "\(url.path): initializer '0.weight': external data location 'link.bin' leads outside the model's folder"
        )
    }

    @Test func fileShorterThanOffsetPlusLengthIsRefused() throws {
        let (url, dir) = try external(location: "weights.bin")
        try Data(repeating: 0, count: 100).write(to: dir.appendingPathComponent("weights.bin"))
        #expect(
            failure(url)
                == "\(url.path): initializer '0.weight': external data file 'weights.bin' holds 100 bytes, fewer than offset 0 + length 20480"
        )
    }
}
