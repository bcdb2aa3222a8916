import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// Functional models written by Keras 3 (JAX) and tf.keras 2, against the
/// library's own predictions and JAX `vmap(grad)` per-sample Fisher
/// (scripts/fixtures/make_zoo.py).
@Suite struct ZooTests {
    static let models = ["residual_mlp", "wide_deep", "seq_dense", "merges"].flatMap { ["\($0)_k3", "\($0)_tf2"] }

    /// A zoo file's URL.
    static func url(_ name: String) throws -> URL {
        let dir = try #require(Bundle.module.url(forResource: "zoo", withExtension: nil, subdirectory: "Resources"))
        return dir.appendingPathComponent(name)
    }

    /// The model, its network, row-major features (model inputs side by side), labels and groups.
    static func load(_ model: String) throws -> (graph: ModelGraph, net: Network, x: [Float], y: [Float], g: [Int]) {
        let file = try url(model + (model.hasSuffix("_k3") ? ".keras" : ".h5"))
        let graph = try Plugins.formats.read(file)
        let net = try Network(graph: graph)
        let data = try Plugins.formats.read(try url(model + "_data.npz"))
        let y = try data.tensor(named: "label").floatValues()
        let g = try data.tensor(named: "group").floatValues().map { Int($0) }
        let inputs = try net.inputNames.map { try data.tensor(named: $0).floatValues() }
        let rows = y.count
        var x: [Float] = []
        for r in 0..<rows {
            for v in inputs {
                let w = v.count / rows
                x += v[(r * w)..<(r * w + w)]
            }
        }
        return (graph, net, x, y, g)
    }

    @Test("predict equals the library's own predict within 1e-5", arguments: models)
    func scoresEqualKeras(model: String) throws {
        let (_, net, x, y, _) = try Self.load(model)
        let scores = try net.predictScores(features: x, rows: y.count)
        let ref = try Plugins.formats.read(try Self.url(model + "_ref.npz")).tensor(named: "scores").doubleValues()
        #expect(scores.count == ref.count)
        let worst = zip(scores, ref).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(model): largest difference \(worst)")
    }

    @Test("per-group Fisher equals JAX vmap(grad) within 1e-4 of each tensor's largest value", arguments: models)
    func fisherEqualsJAX(model: String) throws {
        let (graph, net, x, y, g) = try Self.load(model)
        let fisher = try net.groupFisher(
            features: x, labels: y, rowGroups: g, groupNames: ["a", "b", "c"], batchSize: 7)
        let ref = try Plugins.formats.read(try Self.url(model + "_ref.npz"))
        var role: [String: String] = [:]  // tensor → "layer/role", as Keras names the variable
        for layer in graph.layers ?? [] { for (r, t) in layer.weights { role[t] = "\(layer.name)/\(r.rawValue)" } }
        var compared = 0
        for group in ["a", "b", "c"] {
            for name in fisher.tensorNames {
                let key = try #require(role[name], "\(name) belongs to no layer")
                let want = try ref.tensor(named: "fisher/\(group)/\(key)").doubleValues()
                let got = try #require(fisher.values(group: group, tensor: name))
                let scale = want.map(abs).max() ?? 0
                #expect(scale > 0, "\(model) \(key): the reference Fisher is zero")
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(
                    got.count == want.count && worst <= 1e-4 * scale,
                    "\(model) \(group) \(key): off by \(worst) of \(scale)")
                compared += 1
            }
        }
        let trainable = ref.tensors.filter { $0.name.hasPrefix("fisher/") }.count
        #expect(compared == trainable, "\(model): \(compared) tensors compared, the reference has \(trainable)")
    }

    /// Backward through fan-out (a value feeding several nodes), merges and
    /// several inputs against JAX's gradient of the mean loss (central
    /// differences are unreliable here: a step crosses relu kinks on some rows).
    @Test("gradients of the mean loss equal JAX's within 1e-4 of each tensor's largest", arguments: models)
    func gradientsEqualJAX(model: String) throws {
        let (graph, net, x, y, _) = try Self.load(model)
        let result = try net.lossAndGradients(features: x, labels: y, rows: y.count)
        #expect(abs(result.loss - (try net.meanLoss(features: x, labels: y, rows: y.count))) < 1e-6)
        let ref = try Plugins.formats.read(try Self.url(model + "_ref.npz"))
        var role: [String: String] = [:]
        for layer in graph.layers ?? [] { for (r, t) in layer.weights { role[t] = "\(layer.name)/\(r.rawValue)" } }
        for (k, name) in result.names.enumerated() {
            let want = try ref.tensor(named: "grad/\(try #require(role[name]))").doubleValues()
            let scale = want.map(abs).max() ?? 0
            let worst = zip(result.gradients[k], want).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(
                want.count == result.gradients[k].count && worst <= 1e-4 * scale + 1e-7,
                "\(model) \(name): off by \(worst) of \(scale)")
        }
        #expect(result.names.count == ref.tensors.filter { $0.name.hasPrefix("grad/") }.count)
    }
}
