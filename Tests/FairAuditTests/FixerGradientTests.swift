import Foundation
import Testing

@testable import FairAudit

@Suite("Fixer gradients")
struct FixerGradientTests {
    /// A small smooth chain 6 → 5 (tanh) → 4 (gelu) → K (sigmoid or softmax), random weights.
    static func smallGraph(classes: Int, seed: UInt64 = 3) -> ModelGraph {
        var rng = TestRNG(state: seed)
        let dims = [(6, 5, Activation.tanh), (5, 4, .gelu), (4, classes, classes == 1 ? .sigmoid : .softmax)]
        var tensors: [Tensor] = []
        var layers: [Layer] = []
        for (i, (m, n, act)) in dims.enumerated() {
            tensors.append(FixerFixtures.tensor("d\(i)/kernel", [m, n], rng.matrix(m * n, scale: 0.8)))
            tensors.append(FixerFixtures.tensor("d\(i)/bias", [n], rng.matrix(n, scale: 0.3)))
            layers.append(
                Layer(
                    name: "d\(i)", kind: .dense, activation: act, units: n,
                    weights: [.kernel: "d\(i)/kernel", .bias: "d\(i)/bias"]))
        }
        return ModelGraph(format: "test", layout: .kerasWeights, tensors: tensors, layers: layers, inputWidth: 6)
    }

    struct Batch {
        var x: [Float]
        var y: [Float]
        var g: [Int]
        var w: [Float]
    }

    static func batch(rows: Int, seed: UInt64 = 9) -> Batch {
        var rng = TestRNG(state: seed)
        let x = rng.matrix(rows * 6, scale: 1.5)
        let y = (0..<rows).map { _ in Float(rng.next() % 2) }
        var g = (0..<rows).map { _ in Int(rng.next() % 3) }
        g[0] = 0
        g[1] = 1
        g[2] = 2
        g[3] = 0
        let w = (0..<rows).map { _ in abs(rng.uniform()) + 0.2 }
        return Batch(x: x, y: y, g: g, w: w)
    }

    @Test(
        "backward through factorized layers and the penalty matches central differences",
        arguments: [(1, nil), (1, FixOptions.Penalty.dp), (1, .eo), (3, nil), (3, .dp), (3, .eo)]
            as [(Int, FixOptions.Penalty?)])
    func finiteDifferences(classes: Int, penalty: FixOptions.Penalty?) throws {
        let graph = Self.smallGraph(classes: classes)
        var net = try Network(fixing: graph)
        var options = FixOptions()
        options.method = .lowrank
        options.rank = 2
        let data = LabeledData(
            source: "t", featureNames: [], features: [], labels: [], groupColumns: [],
            groupNames: [], rowGroups: [])
        var warnings: [String] = []
        let ranks = try Fixer.prepare(
            &net, graph: graph, method: .lowrank, options: options, data: data, trainRows: [],
            warnings: &warnings)
        #expect(ranks["d0/kernel"] == 2 && ranks["d1/kernel"] == 2)
        let b = Self.batch(rows: 12)
        let objective = FixerObjective(loss: net.loss, penalty: penalty, lambda: 3)
        func total(_ n: Network) -> Double {
            objective.evaluate(logits: n.logits(b.x, rows: 12), rows: 12, labels: b.y, groups: b.g, weights: b.w).total
        }
        let eval = objective.evaluate(
            logits: net.logits(b.x, rows: 12), rows: 12, labels: b.y, groups: b.g, weights: b.w)
        if penalty != nil { #expect(eval.penalty > 1e-4) }
        let grads = net.testGradients(b.x, rows: 12, delta: eval.dLogits)
        var checked = 0
        for (slot, p) in net.trainable.enumerated() {
            for i in net.values[p].indices {
                let h: Float = 1e-2
                var plus = net
                var minus = net
                plus.values[p][i] += h
                minus.values[p][i] -= h
                let fd = (total(plus) - total(minus)) / Double(2 * h)
                let g = Double(grads[slot][i])
                #expect(
                    abs(fd - g) <= 2e-3 + 1e-2 * abs(g),
                    "\(net.parameterNames[p])[\(i)]: backward \(g), differences \(fd)")
                checked += 1
            }
        }
        #expect(checked >= 54)  // A, B of two layers, three biases, the whole head
    }

    @Test("the dp penalty is λ Σ_g (group mean − rest mean)² of σ(z)")
    func penaltyValue() {
        let z: [Float] = [0.2, -1, 2, 0.5, -0.3]
        let g = [0, 0, 1, 1, 1]
        let p = z.map { 1 / (1 + exp(-Double($0))) }
        let gap = (p[0] + p[1]) / 2 - (p[2] + p[3] + p[4]) / 3
        let eval = FixerObjective(loss: Loss(classes: 1), penalty: .dp, lambda: 0.7)
            .evaluate(logits: z, rows: 5, labels: [1, 0, 1, 0, 1], groups: g, weights: nil)
        #expect(abs(eval.penalty - 0.7 * 2 * gap * gap) < 1e-6)
        // NLL: mean of −log p(y).
        let nll = -(log(p[0]) + log(1 - p[1]) + log(p[2]) + log(1 - p[3]) + log(p[4])) / 5
        #expect(abs(eval.nll - nll) < 1e-6)
    }

    @Test("squared backward sums squared per-sample gradients", arguments: [1, 3])
    func fisherSums(classes: Int) throws {
        let graph = Self.smallGraph(classes: classes)
        var net = try Network(fixing: graph)
        var options = FixOptions()
        options.rank = 2
        let empty = LabeledData(
            source: "t", featureNames: [], features: [], labels: [], groupColumns: [], groupNames: [], rowGroups: [])
        var warnings: [String] = []
        _ = try Fixer.prepare(
            &net, graph: graph, method: .lowrank, options: options, data: empty, trainRows: [], warnings: &warnings)
        #expect(net.nodes.contains { $0.op is FactorizedDenseOp })
        let b = Self.batch(rows: 7)
        let objective = FixerObjective(loss: net.loss, penalty: nil, lambda: 0)
        let k = net.outputWidth
        // Batched: one squared backward over all rows of per-sample deltas.
        let z = net.logits(b.x, rows: 7)
        var d = [Float]()
        for r in 0..<7 { d += objective.loss.sample(z, row: r, label: b.y[r]).grad }
        let batched = net.testGradients(b.x, rows: 7, delta: d, squares: true)
        // Reference: a plain backward per row, squared and summed.
        var reference = net.zeroAccumulators()
        for r in 0..<7 {
            let x = Array(b.x[(r * 6)..<(r * 6 + 6)])
            let g = net.testGradients(
                x, rows: 1, delta: objective.loss.sample(net.logits(x, rows: 1), row: 0, label: b.y[r]).grad)
            for s in g.indices { for i in g[s].indices { reference[s][i] += g[s][i] * g[s][i] } }
        }
        #expect(k == classes)
        for s in reference.indices {
            for i in reference[s].indices {
                #expect(abs(batched[s][i] - reference[s][i]) <= 1e-5 + 1e-4 * abs(reference[s][i]))
            }
        }
    }
}

extension Network {
    /// Test helper: one forward pass of `x` and the backward pass of the
    /// logit deltas `delta`, summed (or, with `squares`, squared per row).
    func testGradients(_ x: [Float], rows: Int, delta: [Float], squares: Bool = false) -> [[Float]] {
        let trace = forwardTrace(x, rows: rows)
        var acc = zeroAccumulators()
        guard squares else {
            backward(trace, logitGrad: delta, into: &acc)
            return acc
        }
        let sums = FisherSums(counts: acc.map(\.count), columns: 1)
        let slots = trainableSlots
        walkBackward(trace, logitGrad: delta, wantParams: false) { i, g, ins, _ in
            let roles = trainableRoles(nodes[i], slots: slots)
            nodes[i].op.accumulateSquaredSampleGrads(
                g, ins, params(of: nodes[i]), cache: trace.caches[i], roles: roles.map(\.role),
                weights: Membership(rows: rows, columns: 1, weights: [Float](repeating: 1, count: rows)),
                into: roles.map { sums.pointer(slot: $0.slot, column: 0) })
        }
        return acc.indices.map { sums.values(slot: $0, column: 0) }
    }
}
