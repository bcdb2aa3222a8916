import Foundation
import Testing

@testable import FairAudit

/// Fixtures for the fixer tests: the reference Adult MLP (weights read by
/// h5py from Keras' adult_mlp.h5) and the 2,000-row Adult sample (pandas).
enum FixerFixtures {
    static func url(_ name: String, _ ext: String) throws -> URL {
        try #require(
            Bundle.module.url(forResource: "fixer/" + name, withExtension: ext)
                ?? Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources/fixer"))
    }

    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: url(name, "bin"))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }

    static func tensor(_ name: String, _ shape: [Int], _ values: [Float], dtype: DType = .float32) -> Tensor {
        Tensor(
            name: name, dtype: dtype, shape: shape,
            storage: .bytes(Tensor.encode(values.map(Double.init), dtype: dtype, byteOrder: .little)))
    }

    /// The Adult MLP (80 → 64 relu → dropout → 32 relu → 1 sigmoid), in Keras
    /// layout (`dense/kernel` in×out) or as a PyTorch state dict (`net.0.weight` out×in).
    static func adultModel(torch: Bool = false) throws -> ModelGraph {
        let all = try floats("adult_mlp_weights")
        let dims = [(80, 64), (64, 32), (32, 1)]
        var offset = 0
        var tensors: [Tensor] = []
        var layers: [Layer] = []
        for (i, (m, n)) in dims.enumerated() {
            let kernel = Array(all[offset..<(offset + m * n)])
            offset += m * n
            let bias = Array(all[offset..<(offset + n)])
            offset += n
            let name = torch ? "net.\(2 * i)" : ["dense", "dense_1", "head"][i]
            let kname = torch ? name + ".weight" : name + "/kernel"
            let bname = torch ? name + ".bias" : name + "/bias"
            tensors.append(
                torch
                    ? tensor(kname, [n, m], Buffers.transpose(kernel, rows: m, cols: n))
                    : tensor(kname, [m, n], kernel))
            tensors.append(tensor(bname, [n], bias))
            layers.append(
                Layer(
                    name: name, kind: .dense, activation: i == 2 ? .sigmoid : .relu, units: n,
                    weights: [.kernel: kname, .bias: bname], kernelLayout: torch ? .outIn : .inOut))
            if i == 0 { layers.append(Layer(name: "dropout", kind: .dropout)) }
        }
        return ModelGraph(
            format: "test", layout: torch ? .torchStateDict : .kerasLegacy, tensors: tensors,
            layers: layers, inputWidth: 80)
    }

    /// adult_sample.csv: 80 feature columns, then income, sex, race; groups by sex.
    static func adultSample() throws -> LabeledData {
        let text = try String(contentsOf: url("adult_sample", "csv"), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let width = header.count - 3
        var x: [Float] = []
        var y: [Float] = []
        var g: [Int] = []
        let groups = ["Female", "Male"]
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            try #require(cells.count == header.count)
            for c in 0..<width { x.append(try #require(Float(String(cells[c])))) }
            y.append(try #require(Float(String(cells[width]))))
            g.append(try #require(groups.firstIndex(of: String(cells[width + 1]))))
        }
        return LabeledData(
            source: "adult_sample.csv", featureNames: Array(header.prefix(width)), features: x,
            labels: y, groupColumns: ["sex"], groupNames: groups, rowGroups: g)
    }

    /// Demographic-parity difference of `score ≥ 0.5` over `rows`: max − min group selection rate.
    static func dpDifference(_ scores: [Float], _ data: LabeledData, rows: [Int]) -> Double {
        var pos = [Double](repeating: 0, count: data.groupNames.count)
        var cnt = pos
        for (i, n) in rows.enumerated() {
            cnt[data.rowGroups[n]] += 1
            if scores[i] >= 0.5 { pos[data.rowGroups[n]] += 1 }
        }
        let rates = zip(pos, cnt).filter { $0.1 > 0 }.map { $0.0 / $0.1 }
        return (rates.max() ?? 0) - (rates.min() ?? 0)
    }
}

/// A deterministic test generator (SplitMix64), independent of the fixer's.
struct TestRNG {
    var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { generator.next() }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
    mutating func matrix(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in uniform() * scale } }
}
