import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// Convolution and attention models written by Keras 3 (JAX) and tf.keras 2
/// — image CNNs, a text CNN, a transformer encoder block — against the
/// library's own predictions and JAX `vmap(grad)` per-sample gradients
/// (scripts/fixtures/make_zoo_cnn.py).
@Suite struct ZooConvTests {
    static let models = ["small_cnn_k3", "residual_cnn_k3", "text_cnn_k3", "transformer_k3", "seq_cnn_tf2"]
    static let groups = ["0", "1", "2"]

    /// Each graph tensor's Keras variable path (`layer/role`, e.g. `mha/query/kernel`).
    static func paths(_ graph: ModelGraph) -> [String: String] {
        var path: [String: String] = [:]
        for layer in graph.layers ?? [] { for (r, t) in layer.weights { path[t] = "\(layer.name)/\(r.rawValue)" } }
        return path
    }

    @Test("predict equals the library's own predict within 1e-5", arguments: models)
    func scoresEqualKeras(model: String) throws {
        let (_, net, x, y, _) = try ZooTests.load(model)
        let scores = try net.predictScores(features: x, rows: y.count)
        let ref = try Plugins.formats.read(try ZooTests.url(model + "_ref.npz")).tensor(named: "scores").doubleValues()
        #expect(scores.count == ref.count && ref.count == 240)
        let worst = zip(scores, ref).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(model): largest difference \(worst)")
    }

    @Test("per-group Fisher of every trainable tensor equals JAX vmap(grad) within 1e-4 relative", arguments: models)
    func fisherEqualsJAX(model: String) throws {
        let (graph, net, x, y, g) = try ZooTests.load(model)
        let fisher = try net.groupFisher(features: x, labels: y, rowGroups: g, groupNames: Self.groups, batchSize: 37)
        let ref = try Plugins.formats.read(try ZooTests.url(model + "_ref.npz"))
        let path = Self.paths(graph)
        var compared = 0
        for group in Self.groups {
            let all = try ref.tensors.filter { $0.name.hasPrefix("fisher/\(group)/") }.map {
                try $0.doubleValues().map(abs).max() ?? 0
            }
            let noise = 1e-10 * (all.max() ?? 0)
            for name in fisher.tensorNames {
                let key = try #require(path[name], "\(name) belongs to no layer")
                let want = try ref.tensor(named: "fisher/\(group)/\(key)").doubleValues()
                let got = try #require(fisher.values(group: group, tensor: name))
                let scale = want.map(abs).max() ?? 0
                #expect(scale > 0, "\(model) \(key): the reference Fisher is zero")
                if scale < noise {
                    // A gradient that is zero exactly, seen through float32 round-off (attention's
                    // key bias: adding it shifts every logit of a query alike, which softmax ignores):
                    // both sides must be zero to round-off, not equal to each other's noise.
                    let largest = got.map { abs(Double($0)) }.max() ?? .infinity
                    #expect(
                        largest < noise,
                        "\(model) group \(group) \(key): \(largest), the reference is zero to round-off")
                    compared += 1
                    continue
                }
                // Relative to each element, with a floor of 1e-4 of the tensor's largest value
                // for elements that are float32 round-off of zero.
                let worst = zip(got, want).map { abs(Double($0) - $1) / max(abs($1), 1e-4 * scale) }.max() ?? .infinity
                #expect(
                    got.count == want.count && worst <= 1e-4,
                    "\(model) group \(group) \(key): relative difference \(worst)")
                compared += 1
            }
        }
        let trainable = ref.tensors.filter { $0.name.hasPrefix("fisher/") }.count
        #expect(compared == trainable, "\(model): \(compared) tensors compared, the reference has \(trainable)")
    }

    @Test("gradients of the mean loss equal JAX's within 1e-4 of each tensor's largest", arguments: models)
    func gradientsEqualJAX(model: String) throws {
        let (graph, net, x, y, _) = try ZooTests.load(model)
        let result = try net.lossAndGradients(features: x, labels: y, rows: y.count)
        let ref = try Plugins.formats.read(try ZooTests.url(model + "_ref.npz"))
        let path = Self.paths(graph)
        for (k, name) in result.names.enumerated() {
            let want = try ref.tensor(named: "grad/\(try #require(path[name]))").doubleValues()
            let scale = want.map(abs).max() ?? 0
            let worst = zip(result.gradients[k], want).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(
                want.count == result.gradients[k].count && worst <= 1e-4 * scale + 1e-7,
                "\(model) \(name): off by \(worst) of \(scale)")
        }
        #expect(result.names.count == ref.tensors.filter { $0.name.hasPrefix("grad/") }.count)
    }
}
