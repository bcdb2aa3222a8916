import Foundation
import Testing

@testable import FairAudit

/// Fixture access and small helpers shared by the data, executor and Fisher tests.
enum Fixtures {
    static func url(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"))
    }

    /// Tensors from a manifest (`stem.json`: name, shape, offset in floats) and raw little-endian float32 (`stem.f32`).
    static func tensors(_ stem: String) throws -> [Tensor] {
        struct Entry: Decodable {
            let name: String
            let shape: [Int]
            let offset: Int
        }
        let manifest = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: url(stem, "json")))
        let blob = try Data(contentsOf: url(stem, "f32"))
        return manifest.map { e in
            let n = e.shape.reduce(1, *)
            let bytes = blob.subdata(in: (e.offset * 4)..<((e.offset + n) * 4))
            return Tensor(name: e.name, dtype: .float32, shape: e.shape, storage: .bytes(bytes))
        }
    }

    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: url(name, "f32"))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// The Adult MLP as the Keras .h5 describes it: Dense 64 relu, Dropout, Dense 32 relu, Dense 1 sigmoid.
    static func adultKerasGraph() throws -> ModelGraph {
        let layers = [
            Layer(
                name: "dense", kind: .dense, activation: .relu, units: 64,
                weights: [.kernel: "dense/kernel", .bias: "dense/bias"]),
            Layer(name: "dropout", kind: .dropout),
            Layer(
                name: "dense_1", kind: .dense, activation: .relu, units: 32,
                weights: [.kernel: "dense_1/kernel", .bias: "dense_1/bias"]),
            Layer(
                name: "head", kind: .dense, activation: .sigmoid, units: 1,
                weights: [.kernel: "head/kernel", .bias: "head/bias"]),
        ]
        return ModelGraph(
            format: "test", layout: .kerasWeights, tensors: try tensors("adult_mlp_keras"), layers: layers)
    }

    static func adultSample() throws -> LabeledData {
        try LabeledData.load(
            from: url("adult_sample", "csv"),
            options: CSVDataOptions(label: "income", groups: ["sex"], ignore: ["race"]))
    }
}

/// A tiny deterministic generator (SplitMix64) for random test weights.
struct SplitMix {
    var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { generator.next() }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
    }
    mutating func floats(_ n: Int, _ lo: Double, _ hi: Double) -> [Float] {
        (0..<n).map { _ in Float(uniform(lo, hi)) }
    }
}

func tensor(_ name: String, _ shape: [Int], _ values: [Float]) -> Tensor {
    Tensor(
        name: name, dtype: .float32, shape: shape,
        storage: .bytes(Tensor.encode(values.map(Double.init), dtype: .float32, byteOrder: .little)))
}

/// `max_i |a_i − b_i| ≤ atol + rtol · max_i |b_i|`.
func close(_ a: [Double], _ b: [Double], rtol: Double, atol: Double) -> Bool {
    guard a.count == b.count else { return false }
    let scale = b.map(abs).max() ?? 0
    return zip(a, b).allSatisfy { abs($0 - $1) <= atol + rtol * scale }
}
