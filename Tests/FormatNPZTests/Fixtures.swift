import FairAudit
import Foundation
import Testing

/// Locates the fixture files numpy wrote and the values numpy read from them.
enum Fixtures {
    /// The URL of `Resources/<name>`.
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(
            Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Resources"),
            "missing fixture \(name)")
    }

    /// A temporary directory removed by the caller.
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npz-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// What numpy read from one array of a fixture (from `expected.json`).
    struct Expected {
        var name: String, dtype: String, shape: [Int], byteOrder: String, fortran: Bool
        var values: [Double]?
        var stats: [String: Double]?
        var elements: [(Int, Double)]
    }

    /// The arrays numpy read from `file`, in file order.
    static func expected(_ file: String) throws -> [Expected] {
        let data = try Data(contentsOf: url("expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try #require(root[file] as? [String: Any], "no expectations for \(file)")
        let tensors = try #require(entry["tensors"] as? [[String: Any]])
        return try tensors.map { t in
            Expected(
                name: try #require(t["name"] as? String), dtype: try #require(t["dtype"] as? String),
                shape: try #require(t["shape"] as? [Int]), byteOrder: try #require(t["byte_order"] as? String),
                fortran: t["fortran"] as? Bool ?? false,
                values: (t["values"] as? [NSNumber])?.map(\.doubleValue),
                stats: (t["stats"] as? [String: NSNumber])?.mapValues(\.doubleValue),
                elements: ((t["elements"] as? [[NSNumber]]) ?? []).map { ($0[0].intValue, $0[1].doubleValue) })
        }
    }

    /// `a` and `b` agree within `rel` relative (absolute near zero).
    static func close(_ a: Double, _ b: Double, rel: Double = 1e-6) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= rel * max(1e-300, max(abs(a), abs(b))) || abs(a - b) < 1e-12
    }
}
