import FairAudit
import FairAuditPlugins
import Foundation
import Testing

/// The Adult MLP read from safetensors (one file and two shards) predicts
/// what it predicts from HDF5, and what torch computed from the same weights.
@Suite struct SafeTensorsScoresTests {
    static func scores(_ url: URL) throws -> [Float] {
        var graph = try Plugins.formats.read(url)
        graph.layers = try graph.inferredLayers(activation: .relu, head: .sigmoid)
        let net = try Network(graph: graph)
        let data = try Fixtures.adultSample(width: net.inputWidth)
        return try net.predictScores(features: data.features, rows: data.rowCount)
    }

    @Test(arguments: ["adult_mlp.safetensors", "adult_mlp_sharded.safetensors.index.json"])
    func scoresEqualHDF5AndTorch(file: String) throws {
        let got = try Self.scores(Fixtures.url(file))
        let h5 = try Self.scores(Fixtures.url("adult_mlp_torch.h5"))
        let torch = try Fixtures.floats("adult_sample_torch_scores.f32")
        #expect(got.count == 2000 && h5.count == got.count && torch.count == got.count)
        let vsH5 = zip(got, h5).map { abs($0 - $1) }.max() ?? .infinity
        let vsTorch = zip(got, torch).map { abs($0 - $1) }.max() ?? .infinity
        #expect(vsH5 <= 1e-6, "\(file): largest difference from the HDF5 model \(vsH5)")
        #expect(vsTorch <= 1e-5, "\(file): largest difference from torch \(vsTorch)")
    }
}
