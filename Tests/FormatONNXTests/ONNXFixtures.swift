import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// Files of `Resources` (written by `scripts/fixtures/make_onnx_fixtures.py`
/// with torch, onnx and onnxruntime) and helpers to read them.
enum ONNXFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let resources = root.appendingPathComponent("Tests/FormatONNXTests/Resources")
    static func url(_ name: String) -> URL { resources.appendingPathComponent(name) }
    static let adult = url("adult_mlp_torch.onnx")

    /// A fresh empty folder for written files.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The arrays of an npz fixture by name.
    static func arrays(_ name: String) throws -> [String: Tensor] {
        let graph = try Plugins.formats.read(url(name))
        return Dictionary(uniqueKeysWithValues: graph.tensors.map { ($0.name, $0) })
    }

    /// Raw little-endian float32 values.
    static func f32(_ name: String) throws -> [Float] {
        let bytes = [UInt8](try Data(contentsOf: url(name)))
        return stride(from: 0, to: bytes.count - 3, by: 4).map { (i: Int) -> Float in
            var bits = UInt32(bytes[i])
            bits |= UInt32(bytes[i + 1]) << 8
            bits |= UInt32(bytes[i + 2]) << 16
            bits |= UInt32(bytes[i + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    /// The 80 feature columns of adult_sample.csv (every column but income, sex, race, which come last).
    static func adultFeatures() throws -> (features: [Float], rows: Int) {
        let text = try String(
            contentsOf: root.appendingPathComponent("Tests/FairAuditTests/Resources/adult_sample.csv"),
            encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline)
        let header = lines.removeFirst().split(separator: ",")
        #expect(header.suffix(3).map(String.init) == ["income", "sex", "race"])
        var x: [Float] = []
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            for c in 0..<(header.count - 3) { x.append(try #require(Float(String(cells[c])))) }
        }
        return (x, lines.count)
    }

    /// The adult model's `ModelProto` changed by `edit`, written to a scratch file.
    static func mutated(_ source: URL = adult, _ edit: (inout Onnx_ModelProto) -> Void) throws -> URL {
        var model = try ONNXFormat.decode(source)
        edit(&model)
        let out = try scratch().appendingPathComponent("mutated.onnx")
        let bytes: Data = try model.serializedBytes()
        try bytes.write(to: out)
        return out
    }
}
