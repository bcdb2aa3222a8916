import FairAudit
import FairAuditPlugins
import Foundation
import Testing

@testable import FormatONNX

/// Bad ONNX files: one error naming the file and the initializer or node, never a trap.
@Suite struct ONNXHostileTests {
    /// The error `read` throws for `url`, as its one line.
    func failure(_ url: URL) -> String {
        do {
            _ = try ONNXFormat.read(url)
            return "read without error"
        } catch { return "\(error)" }
    }

    /// Found by the fuzz target: an empty file (Foundation leaked its buffer when mapping it).
    @Test func emptyFileIsRefused() throws {
        let out = try ONNXFixtures.scratch().appendingPathComponent("empty.onnx")
        try Data().write(to: out)
        #expect(failure(out) == "\(out.path): not an ONNX model: the file is empty")
    }

    @Test(arguments: [10, 100, 1000, 20000, 29900])
    func truncatedFileIsRefused(keep: Int) throws {
        let bytes = try Data(contentsOf: ONNXFixtures.adult)
        let out = try ONNXFixtures.scratch().appendingPathComponent("cut.onnx")
        try bytes.prefix(keep).write(to: out)
        let message = failure(out)
        #expect(message.hasPrefix(out.path + ": "), "\(message)")
        #expect(!message.contains("\n"))
    }

    /// The graph field (7) re-tagged as a varint: a wrong wire type.
    @Test func wrongWireTypeIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: ONNXFixtures.adult))
        let i = try #require(bytes.firstIndex(of: 0x3A))  // field 7, wire type 2
        bytes[i] = 0x3B  // field 7, wire type 3 (start group)
        let out = try ONNXFixtures.scratch().appendingPathComponent("wire.onnx")
        try Data(bytes).write(to: out)
        #expect(failure(out).hasPrefix(out.path + ": not an ONNX model"), "\(failure(out))")
    }

    @Test func dataShorterThanShapeNamesTheTensor() throws {
        let url = try ONNXFixtures.mutated { $0.graph.initializer[2].dims = [33, 64] }
        let message = failure(url)
        #expect(
            message
                == "\(url.path): initializer '3.weight': shape [33, 64] of float32 needs 8448 bytes of raw_data, the file holds 8192"
        )
    }

    @Test func trillionElementShapeIsRefusedWithoutAllocating() throws {
        let url = try ONNXFixtures.mutated { $0.graph.initializer[0].dims = [1_000_000, 1_000_000] }
        let message = failure(url)
        #expect(
            message.hasPrefix(
                "\(url.path): initializer '0.weight': shape [1000000, 1000000] of float32 needs 4000000000000 bytes"),
            "\(message)")
        let huge = try ONNXFixtures.mutated { $0.graph.initializer[0].dims = [Int64.max / 2, 4] }
        #expect(
            failure(huge).contains("initializer '0.weight': shape") && failure(huge).contains("too many elements"),
            "\(failure(huge))")
    }

    @Test func typedDataOfTheWrongLengthNamesTheTensor() throws {
        let url = try ONNXFixtures.mutated {
            $0.graph.initializer[1].clearRawData()
            $0.graph.initializer[1].floatData = [1, 2, 3]
        }
        #expect(failure(url) == "\(url.path): initializer '0.bias': shape [64] needs 64 values, float_data holds 3")
    }

    @Test func externalDataIsRefused() throws {
        let url = try ONNXFixtures.mutated {
            $0.graph.initializer[0].clearRawData()
            $0.graph.initializer[0].dataLocation = .external
            var e = Onnx_StringStringEntryProto()
            e.key = "location"
            e.value = "../../etc/passwd"
            $0.graph.initializer[0].externalData = [e]
        }
        #expect(
            failure(url)
                == "\(url.path): initializer '0.weight': its values are in the external file '../../etc/passwd', which is read only with --allow-external-data"
        )
    }

    /// A node outside the dense chain is named with its op and opset; reading still gives the tensors.
    @Test func unsupportedOpOnThePathIsNamed() throws {
        let url = try ONNXFixtures.mutated { $0.graph.node[1].opType = "LpNormalization" }
        let graph = try ONNXFormat.read(url)
        #expect(graph.layers == nil && graph.tensors.count == 6)
        #expect(
            graph.architectureNote?.hasPrefix("node '/1/Relu' (LpNormalization, opset 17) cannot be run") == true,
            "\(graph.architectureNote ?? "")")
        #expect(throws: FairAuditError.self) { try Network(graph: graph) }
    }

    @Test func cycleIsRefused() throws {
        let url = try ONNXFixtures.mutated { m in
            // The first Gemm now reads the first Relu's output: Gemm → Relu → Gemm.
            m.graph.node[0].input[0] = m.graph.node[1].output[0]
        }
        let graph = try ONNXFormat.read(url)
        #expect(graph.layers == nil)
        #expect(
            graph.architectureNote == "the ONNX graph cannot be run: node '/1/Relu' is on a cycle",
            "\(graph.architectureNote ?? "")")
    }

    @Test func duplicateInitializerIsRefused() throws {
        let url = try ONNXFixtures.mutated { $0.graph.initializer[1].name = "0.weight" }
        #expect(failure(url) == "\(url.path): initializer '0.weight': appears twice among the initializers")
    }
}
