import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// Whole models with attention, as Keras 3 (`.keras`) and tf.keras 2 (`.h5`)
/// save them (scripts/fixtures/make_attention_fixtures.py): predictions,
/// the exact per-sample Fisher of the projections, and the configs refused.
@Suite struct AttentionModelTests {
    /// The model, its network, features (model inputs side by side), labels, groups and Keras' scores.
    static func load(
        _ stem: String, ext: String
    ) throws -> (graph: ModelGraph, net: Network, x: [Float], y: [Float], g: [Int], scores: [Double]) {
        let graph = try Plugins.formats.read(try Fixtures.url("attention/\(stem)", ext))
        let net = try Network(graph: graph)
        let data = try Plugins.formats.read(try Fixtures.url("attention/\(stem)_data", "npz"))
        let y = try data.tensor(named: "label").floatValues()
        let inputs = try net.inputNames.map { try data.tensor(named: $0).floatValues() }
        var x: [Float] = []
        for r in 0..<y.count {
            for v in inputs {
                let w = v.count / y.count
                x += v[(r * w)..<(r * w + w)]
            }
        }
        return (
            graph, net, x, y, try data.tensor(named: "group").floatValues().map { Int($0) },
            try data.tensor(named: "scores").doubleValues()
        )
    }

    @Test("predict equals Keras within 1e-5", arguments: [("model_k3", "keras"), ("model_tf2", "h5")])
    func scoresEqualKeras(stem: String, ext: String) throws {
        let m = try Self.load(stem, ext: ext)
        let got = try m.net.predictScores(features: m.x, rows: m.y.count)
        #expect(got.count == m.scores.count)
        let worst = zip(got, m.scores).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(stem): largest difference \(worst)")
    }

    @Test(
        "the inputs are read in Keras' call order: query, value (tf.keras 2 `value=` keyword; Keras 3 `query=`, `value=`)"
    )
    func callOrder() throws {
        for (stem, ext, layer, inbound) in [
            ("model_tf2", "h5", "attn", ["query", "value"]),
            ("model_k3", "keras", "cross_attn", ["ln2", "context"]),
            ("model_k3", "keras", "self_attn", ["embed", "embed"]),
        ] {
            let graph = try Plugins.formats.read(try Fixtures.url("attention/\(stem)", ext))
            let l = try #require(graph.layers?.first { $0.name == layer })
            #expect(l.inbound == inbound, "\(stem) \(layer)")
            #expect(l.kind == .multiHeadAttention)
        }
    }

    /// Per-row gradients from the batch backward pass on one row at a time:
    /// `F_g = (1/N_g) Σ_n g_n²` with no per-sample machinery at all.
    static func bruteForceFisher(_ net: Network, x: [Float], y: [Float], groups: [Int], group: Int) throws -> [[Double]]
    {
        var sums = net.trainableShapes.map { [Double](repeating: 0, count: $0.reduce(1, *)) }
        var n = 0
        for r in y.indices where groups[r] == group {
            let w = net.inputWidth
            let one = try net.lossAndGradients(features: Array(x[(r * w)..<(r * w + w)]), labels: [y[r]], rows: 1)
            for (k, g) in one.gradients.enumerated() {
                for i in g.indices { sums[k][i] += Double(g[i]) * Double(g[i]) }
            }
            n += 1
        }
        return sums.map { $0.map { $0 / Double(max(n, 1)) } }
    }

    @Test(
        "per-group Fisher of every tensor equals a per-row brute force within 1e-4 relative",
        arguments: [("model_k3", "keras"), ("model_tf2", "h5")])
    func fisherEqualsBruteForce(stem: String, ext: String) throws {
        let m = try Self.load(stem, ext: ext)
        let fisher = try m.net.groupFisher(
            features: m.x, labels: m.y, rowGroups: m.g, groupNames: ["a", "b"], batchSize: 7)
        for (gi, group) in ["a", "b"].enumerated() {
            let want = try Self.bruteForceFisher(m.net, x: m.x, y: m.y, groups: m.g, group: gi)
            // The key bias moves every score of a query alike, which the softmax cancels: its gradient is
            // zero in exact arithmetic, rounding noise here, so it is held to a floor of the largest tensor's scale.
            let floor = 1e-6 * (want.compactMap { $0.max() }.max() ?? 0)
            for (k, name) in m.net.trainableNames.enumerated() {
                let got = try #require(fisher.values(group: group, tensor: name))
                let scale = max(want[k].max() ?? 0, floor)
                let worst = zip(got, want[k]).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(scale > 0 && worst <= 1e-4 * scale, "\(stem) \(group) \(name): off by \(worst) of \(scale)")
            }
        }
    }

    /// The self-attention's query kernel is used at six positions: the
    /// square of each sample's sum over positions is the Fisher; the sum of
    /// the squares per position (the shortcut) differs.
    @Test("an attention projection's Fisher squares the per-sample sum over positions, not each position")
    func projectionFisherIsNotTheShortcut() throws {
        let m = try Self.load("model_k3", ext: "keras")
        let net = m.net
        let rows = m.y.count
        let node = try #require(net.nodes.firstIndex { $0.name == "self_attn" })
        let op = try #require(net.nodes[node].op as? MultiHeadAttentionOp)
        let kernel = try #require(
            net.trainableNames.firstIndex {
                $0.contains("query") && net.nodes[node].params[.queryKernel].map { net.parameterNames[$0] } == $0
            })
        let trace = net.forwardTrace(m.x, rows: rows)
        let deltas = net.loss.deltas(net.logits(trace), labels: m.y, rows: rows)
        var shortcut = [Double](repeating: 0, count: net.trainableShapes[kernel].reduce(1, *))
        net.walkBackward(trace, logitGrad: deltas, wantParams: false) { i, g, ins, _ in
            guard i == node else { return }
            let dq = op.deltas(g, ins, net.params(of: net.nodes[i]), cache: trace.caches[i]).dq
            let x = ins[0]
            let t = x.positions
            let d = x.lastAxis
            let width = dq.count / (rows * t)
            for n in 0..<rows {
                for p in 0..<t {
                    for a in 0..<d {
                        for b in 0..<width {
                            let v = Double(x.data[(n * t + p) * d + a]) * Double(dq[(n * t + p) * width + b])
                            shortcut[a * width + b] += v * v / Double(rows)
                        }
                    }
                }
            }
        }
        let all = [Int](repeating: 0, count: rows)
        let exact = try Self.bruteForceFisher(net, x: m.x, y: m.y, groups: all, group: 0)[kernel]
        let got = try #require(
            try net.groupFisher(features: m.x, labels: m.y, rowGroups: all, groupNames: ["all"])
                .values(group: "all", tensor: net.trainableNames[kernel]))
        let scale = exact.max() ?? 0
        #expect(zip(got, exact).allSatisfy { abs(Double($0) - $1) <= 1e-4 * scale })
        let gap = zip(shortcut, exact).map { abs($0 - $1) }.max() ?? 0
        #expect(gap > 0.05 * scale, "the shortcut must differ here: \(gap) of \(scale)")
    }

    @Test(
        "masks and other equations are refused in one line naming the layer",
        arguments: [
            ("refused_causal_k3", "causal", "use_causal_mask"), ("refused_masked_k3", "masked", "attention_mask"),
            ("refused_causal_tf2", "causal", "use_causal_mask"), ("refused_einsum_k3", "einsum", "abc,dc->abd"),
        ])
    func refusals(stem: String, layer: String, reason: String) throws {
        let json = try String(contentsOf: try Fixtures.url("attention/\(stem)", "json"), encoding: .utf8)
        let arch = try KerasConfig.architecture(fromJSON: json, weights: [:], shapes: [:])
        #expect(arch.layers == nil)
        let note = try #require(arch.note)
        #expect(note.contains("'\(layer)'") && note.contains(reason) && !note.contains("\n"), "\(note)")
    }
}
