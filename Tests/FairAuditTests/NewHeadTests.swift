import FairAuditPlugins
import Foundation
import Testing

@testable import FairAudit

/// The new head of `fix --new-head` (docs/method.md §7): its initialization
/// and how it replaces or cuts a model's layers in either kernel layout.
@Suite struct NewHeadTests {
    @Test func glorotUniformHasKerasBoundsAndVariance() {
        let (fanIn, fanOut) = (64, 32)
        let w = NewHead.glorotUniform(fanIn: fanIn, fanOut: fanOut, seed: 7)
        let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
        #expect(w.count == fanIn * fanOut)
        #expect(w.allSatisfy { abs($0) <= limit })
        // U(−l, l): mean 0, variance l²/3 = 2/(in+out); 2,048 draws, tolerance ≈ 5 standard errors.
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)
        #expect(abs(mean) < 5 * limit / (3 * Float(w.count)).squareRoot())
        #expect(abs(variance - 2 / Float(fanIn + fanOut)) < 0.1 * 2 / Float(fanIn + fanOut))
        #expect(w == NewHead.glorotUniform(fanIn: fanIn, fanOut: fanOut, seed: 7))
        #expect(w != NewHead.glorotUniform(fanIn: fanIn, fanOut: fanOut, seed: 8))
    }

    @Test(arguments: [false, true])
    func replacingTheLastLayerKeepsItsNamesAndShapes(torch: Bool) throws {
        let graph = try FixerFixtures.adultModel(torch: torch)
        let out = try graph.replacingHead(NewHead(units: 2, activation: .softmax), seed: 1)
        let head = try #require(out.layers?.last)
        #expect(head.name == (torch ? "net.4" : "head") && head.units == 2 && head.activation == .softmax)
        let kernel = try out.tensor(named: #require(head.weights[.kernel]))
        #expect(kernel.shape == (torch ? [2, 32] : [32, 2]) && kernel.isModified)
        #expect(try out.tensor(named: #require(head.weights[.bias])).floatValues() == [0, 0])
        // Every value within Glorot's bound for 32 → 2; an out×in kernel holds the in×out draw transposed.
        let stored = try kernel.floatValues()
        let inOut = torch ? Buffers.transpose(stored, rows: 2, cols: 32) : stored
        #expect(inOut.allSatisfy { abs($0) <= Float((6.0 / 34).squareRoot()) })
        #expect(torch ? stored[1] == inOut[2] : stored == inOut)
        // The body is untouched.
        for t in graph.tensors where !head.weights.values.contains(t.name) {
            #expect(try out.tensor(named: t.name).rawBytes() == t.rawBytes())
        }
        // The network runs with the new width.
        #expect(try Network(graph: out).outputWidth == 2)
    }

    @Test func cuttingAfterALayerDropsTheRestAndItsTensors() throws {
        let graph = try FixerFixtures.adultModel()
        let out = try graph.replacingHead(NewHead(after: "dense"), seed: 0)
        #expect(out.layers?.map(\.name) == ["dense", "dense_1"])
        #expect(out.tensors.map(\.name) == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"])
        #expect(try out.tensor(named: "dense_1/kernel").shape == [64, 1])
        #expect(out.layers?.last?.activation == .sigmoid)
        #expect(throws: FairAuditError.self) { try graph.replacingHead(NewHead(after: "head"), seed: 0) }
        #expect(throws: FairAuditError.self) { try graph.replacingHead(NewHead(after: "missing"), seed: 0) }
    }
}

@Suite struct NewHeadClassesTests {
    @Test(
        "a 2-class softmax head trains, is written with its new shape, and the file read back predicts the same",
        arguments: ["h5", "keras"])
    func softmaxHeadRoundTrip(ext: String) throws {
        let data = try FixerFixtures.adultSample()
        let file = try #require(
            Bundle.module.url(forResource: "adult_mlp", withExtension: ext)
                ?? Bundle.module.url(forResource: "adult_mlp", withExtension: ext, subdirectory: "Resources"))
        let graph = try Plugins.formats.read(file)
        var o = FixOptions()
        o.epochs = 2
        o.newHead = NewHead(units: 2, activation: .softmax)
        let r = try Fixer.fix(graph: graph, data: data, options: o)
        let head = try #require(r.graph.layers?.last)
        #expect(head.units == 2 && head.activation == .softmax)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("classes-\(UUID().uuidString).\(ext)")
        defer { try? FileManager.default.removeItem(at: out) }
        try Plugins.formats.format(for: file).write(r.graph, to: out, basedOn: file)
        let reread = try Plugins.formats.read(out)
        #expect(reread.layers?.last?.units == 2 && reread.layers?.last?.activation == .softmax)
        #expect(try reread.tensor(named: #require(reread.layers?.last?.weights[.kernel])).shape == [32, 2])
        let want = try Fixer.predictions(graph: r.graph, data: data)
        let got = try Fixer.predictions(graph: reread, data: data)
        #expect(want.count == data.rowCount && zip(want, got).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(want.allSatisfy { $0 > 0 && $0 < 1 })
    }
}
