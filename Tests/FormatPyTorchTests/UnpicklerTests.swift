import Foundation
import Testing

@testable import FormatPyTorch

/// The restricted unpickler on pickles Python itself wrote, and on small
/// hand-made ones that probe each refusal.
@Suite struct UnpicklerTests {
    static func parse(_ bytes: [UInt8]) throws -> Checkpoint {
        try Checkpoint.parse(bytes, file: "t.pkl") { _ in nil }
    }

    @Test(arguments: ["plain_proto4.pkl", "plain_proto5.pkl"])
    func plainValuesFromPythonsPickleBecomeMetadata(file: String) throws {
        let c = try Self.parse([UInt8](Data(contentsOf: Fixtures.url(file))))
        #expect(c.tensors.isEmpty)
        let want: [(String, String)] = [
            ("epoch", "3"), ("lr", "0.5"), ("name", "adult ✓"), ("big", "1099511627776"),
            ("neg", "-7"), ("flags", "[True, False, None]"), ("nested.a", "[1, 2, 3]"),
            ("nested.b", "[4.5, x]"), ("tags", "[t]"),
        ]
        #expect(c.metadata.map(\.key) == want.map(\.0))
        #expect(c.metadata.map(\.value) == want.map(\.1))
    }

    @Test func aSetPickledWithProtocol2NamesTheRefusedGlobal() throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("plain_proto2.pkl")))
        #expect { try Self.parse(bytes) } throws: { "\($0)".contains("__builtin__.set") }
    }

    /// PROTO 2 + body + STOP.
    static func pickle(_ body: [UInt8]) -> [UInt8] { [0x80, 0x02] + body + [0x2E] }

    @Test(arguments: [
        ([0x5D, 0x7D, 0x62] as [UInt8], "BUILD"),  // BUILD on a list
        (
            [0x63] + Array("collections\nOrderedDict\n".utf8) + [0x28, 0x4B, 0x01, 0x74, 0x52],
            "OrderedDict called with arguments"
        ),
        ([0x5D, 0x71, 0x00, 0x68, 0x00, 0x61], "deeper than 64"),  // a list that contains itself
        ([0x4B, 0x01, 0x4B, 0x02], "STOP with"),  // two values left at STOP
        ([0x69] + Array("os\nsystem\n".utf8), "INST"),  // INST builds an object
        ([0x81], "NEWOBJ"),
        ([0x4B, 0x01, 0x51], "persistent id"),  // BINPERSID of an int
        ([0x28, 0x30], "POP on an empty stack"),  // POP right after MARK
        ([0x7D, 0x5D, 0x4B, 0x01, 0x73], "dict key of type list"),  // SETITEM with a list key
    ])
    func refusals(body: [UInt8], words: String) throws {
        #expect { try Self.parse(Self.pickle(body)) } throws: { e in "\(e)".contains(words) && e is PyTorchError }
    }

    @Test func truncatedPicklesAreRefusedAtEveryCut() throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("plain_proto4.pkl")))
        for cut in 0..<bytes.count {
            #expect(throws: PyTorchError.self, "cut at \(cut)") { try Self.parse(Array(bytes[0..<cut])) }
        }
    }
}
