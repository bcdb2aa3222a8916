import FairAuditPlugins
import Foundation
import Testing

/// Files of `Resources/cli` (written by `scripts/fixtures/make_cli_fixtures.py`
/// with Keras and numpy) and the Adult models the other suites hold.
enum Fixtures {
    static let cli = CLI.packageRoot.appendingPathComponent("Tests/EndToEndTests/Resources/cli")
    static func cli(_ name: String) -> String { cli.appendingPathComponent(name).path }

    static let adultH5 = CLI.packageRoot.appendingPathComponent("Tests/FormatHDF5Tests/Resources/adult_mlp.h5").path
    static let adultKeras = CLI.packageRoot.appendingPathComponent("Tests/FormatHDF5Tests/Resources/adult_mlp.keras")
        .path
    static let adultWeights = CLI.packageRoot.appendingPathComponent(
        "Tests/FormatHDF5Tests/Resources/adult_mlp.weights.h5"
    ).path
    static let adultConfig = CLI.packageRoot.appendingPathComponent(
        "Tests/FormatHDF5Tests/Resources/adult_mlp.config.json"
    ).path
    static let adultTorch = CLI.packageRoot.appendingPathComponent("Tests/FormatNPZTests/Resources/adult_mlp_torch.npz")
        .path
    /// Keras' `predict` of adult_mlp on adult_sample.csv (2,000 float32, little-endian); sample.csv is its first 300 rows.
    static let adultSampleScores = CLI.packageRoot.appendingPathComponent(
        "Tests/FairAuditTests/Resources/adult_sample_scores.f32")

    /// The Adult columns that are not features.
    static let adultColumns = ["--label", "income", "--group", "sex", "--ignore", "race"]

    /// The values of a one-array `.npy` file, read through the npz format.
    static func npy(_ path: String) throws -> [Float] {
        let graph = try Plugins.formats.read(URL(fileURLWithPath: path))
        return try #require(graph.tensors.first).floatValues()
    }

    /// Raw little-endian float32 values.
    static func f32(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count - 3, by: 4).map { (i: Int) -> Float in
            var bits = UInt32(bytes[i])
            bits |= UInt32(bytes[i + 1]) << 8
            bits |= UInt32(bytes[i + 2]) << 16
            bits |= UInt32(bytes[i + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    /// The largest absolute difference between two equally long arrays.
    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// The lines of `text` that start with `prefix`.
    static func lines(_ text: String, starting prefix: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
    }
}
