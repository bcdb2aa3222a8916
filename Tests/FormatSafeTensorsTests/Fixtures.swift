import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The fixture files (scripts/fixtures/make_torch_safetensors_fixtures.py)
/// and the values torch/safetensors read from them (`expected.json`).
enum Fixtures {
    static func url(_ name: String, in sub: String? = nil) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(
            Bundle.module.url(
                forResource: base, withExtension: ext,
                subdirectory: sub.map { "Resources/\($0)" } ?? "Resources"),
            "missing fixture \(name)")
    }

    /// Every file in `Resources/<sub>`.
    static func files(in sub: String) -> [String] {
        guard let dir = Bundle.module.url(forResource: sub, withExtension: nil, subdirectory: "Resources"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { return [] }
        return names.sorted()
    }

    /// `expected.json` as written by the fixture script.
    static func expected() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url("expected.json"))) as? [String: Any])
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Checks `graph`'s tensors against the fixture script's record `want`
    /// (`values`, or `head` + `sum` for large tensors), within `tolerance`
    /// relative to each value's magnitude (at least 1).
    static func expectValues(_ graph: ModelGraph, _ want: [String: Any], tolerance: Double, file: String) throws {
        #expect(Set(graph.tensors.map(\.name)) == Set(want.keys), "\(file): tensor names")
        for t in graph.tensors {
            let w = try #require(want[t.name] as? [String: Any], "\(file): \(t.name)")
            #expect(t.shape == (w["shape"] as? [Int]), "\(file): \(t.name) shape")
            let values = try t.doubleValues()
            func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }
            if let all = w["values"] as? [Double] {
                #expect(
                    values.count == all.count && zip(values, all).allSatisfy { close($0, $1) },
                    "\(file): \(t.name) values \(values.prefix(8)) vs \(all.prefix(8))")
            } else {
                let head = try #require(w["head"] as? [Double])
                let sum = try #require(w["sum"] as? Double)
                #expect(zip(values, head).allSatisfy { close($0, $1) }, "\(file): \(t.name) first values")
                #expect(
                    abs(values.reduce(0, +) - sum) <= 1e-9 * Double(values.count) + tolerance, "\(file): \(t.name) sum")
            }
        }
    }

    /// The Adult sample rows with the model's input width.
    static func adultSample(width: Int) throws -> LabeledData {
        try LabeledData.load(
            from: url("adult_sample.csv.gz"),
            options: CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"], expectedFeatureCount: width))
    }

    /// float32 little-endian values of a `.f32` file.
    static func floats(_ name: String) throws -> [Float] {
        let d = try Data(contentsOf: url(name))
        return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
