import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// Writing back: only changed initializers are replaced.
@Suite struct ONNXWriteTests {
    @Test func onlyTheChangedInitializerIsReplaced() throws {
        var graph = try ONNXFormat.read(ONNXFixtures.adult)
        let old = try graph.tensor(named: "3.weight").floatValues()
        let new = old.map { $0 * 0.5 + 0.01 }
        try graph.replaceValues(of: "3.weight", with: new)
        let out = try ONNXFixtures.scratch().appendingPathComponent("fixed.onnx")
        try ONNXFormat.write(graph, to: out, basedOn: ONNXFixtures.adult)

        let before = try ONNXFormat.decode(ONNXFixtures.adult)
        let after = try ONNXFormat.decode(out)
        #expect(after.graph.node == before.graph.node)
        #expect(after.graph.input == before.graph.input && after.graph.output == before.graph.output)
        #expect(after.opsetImport == before.opsetImport && after.irVersion == before.irVersion)
        #expect(after.producerName == before.producerName && after.metadataProps == before.metadataProps)
        #expect(after.graph.initializer.map(\.name) == before.graph.initializer.map(\.name))
        for (a, b) in zip(after.graph.initializer, before.graph.initializer) where a.name != "3.weight" {
            #expect(try a.serializedBytes() as Data == b.serializedBytes() as Data, "\(a.name) unchanged")
        }
        let back = try ONNXFormat.read(out)
        #expect(try back.tensor(named: "3.weight").floatValues() == new)
        #expect(try back.tensor(named: "3.weight").shape == [32, 64])
    }

    /// Unmodified: the model re-serializes to the same bytes (torch's exporter writes fields in order).
    @Test func unmodifiedGraphWritesTheSameBytes() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.adult)
        let out = try ONNXFixtures.scratch().appendingPathComponent("same.onnx")
        try ONNXFormat.write(graph, to: out, basedOn: ONNXFixtures.adult)
        #expect(try Data(contentsOf: out) == Data(contentsOf: ONNXFixtures.adult))
    }

    /// A modified tensor of the typed fields is written as raw_data with numpy's values.
    @Test func typedInitializerIsRewrittenAsRawData() throws {
        var graph = try ONNXFormat.read(ONNXFixtures.url("dtypes.onnx"))
        try graph.replaceValues(of: "f64_typed", with: [1, 2, 3, 4, 5])
        let out = try ONNXFixtures.scratch().appendingPathComponent("dtypes.onnx")
        try ONNXFormat.write(graph, to: out, basedOn: ONNXFixtures.url("dtypes.onnx"))
        let proto = try #require(try ONNXFormat.decode(out).graph.initializer.first { $0.name == "f64_typed" })
        #expect(proto.hasRawData && proto.doubleData.isEmpty && proto.dataType == 11)
        #expect(try ONNXFormat.read(out).tensor(named: "f64_typed").floatValues() == [1, 2, 3, 4, 5])
    }

    @Test func writingWithoutASourceModelIsRefused() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.adult)
        let out = try ONNXFixtures.scratch().appendingPathComponent("new.onnx")
        #expect(throws: ONNXError.self) { try ONNXFormat.write(graph, to: out, basedOn: nil) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// convert model.onnx weights.npz keeps the exporter's names and values.
    @Test func convertsToNpzWithTheExportersNames() throws {
        let graph = try ONNXFormat.read(ONNXFixtures.adult)
        let out = try ONNXFixtures.scratch().appendingPathComponent("weights.npz")
        let npz = try #require(Plugins.formats.format(forOutput: out))
        try npz.write(graph, to: out, basedOn: nil)
        let back = try Plugins.formats.read(out)
        #expect(back.tensors.map(\.name) == graph.tensors.map(\.name))
        for t in graph.tensors { #expect(try back.tensor(named: t.name).rawBytes() == t.rawBytes()) }
    }
}
