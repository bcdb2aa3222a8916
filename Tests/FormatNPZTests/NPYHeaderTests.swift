import FairAudit
import Foundation
import Testing

@testable import FormatNPZ

/// The `.npy` header parser on hand-made headers: the variations numpy's
/// reader accepts, and the ones it must refuse without evaluating anything.
@Suite struct NPYHeaderTests {
    /// An `.npy` v1.0 preamble around `dict` (plus newline).
    static func npy(_ dict: String) -> Data {
        let h = Array((dict + "\n").utf8)
        return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h)
    }

    static let accepted: [(String, DType, ByteOrder, Bool, [Int])] = [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", .float32, .little, false, [3, 4]),
        ("{\"shape\": (5,), \"descr\": \">i8\", \"fortran_order\": True}", .int64, .big, true, [5]),
        ("{ 'descr' : '|b1' , 'fortran_order' : False , 'shape' : ( ) }", .bool, .little, false, []),
        ("{'descr': '<u2', 'fortran_order': False, 'shape': (2L, 3L)}", .uint16, .little, false, [2, 3]),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': (0, 7),}", .float16, .little, false, [0, 7]),
        (
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1),}", .uint8, .little, false,
            [1, 1, 1, 1, 1, 1]
        ),
    ]

    @Test(arguments: accepted)
    func parses(text: String, dtype: DType, order: ByteOrder, fortran: Bool, shape: [Int]) throws {
        let h = try NPYHeader.parse(Self.npy(text), file: "t.npy", member: nil)
        #expect(h.dtype == dtype && h.byteOrder == order && h.fortranOrder == fortran && h.shape == shape)
        #expect(h.byteCount == shape.reduce(1, *) * dtype.byteSize)
    }

    static let refused: [String] = [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
        "{'descr': '<f4', 'fortran_order': False}",
        "{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,)}",
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '<c8', 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 40) + "}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} trailing",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)",
    ]

    @Test(arguments: refused)
    func refuses(text: String) {
        #expect(throws: NPZError.self) { try NPYHeader.parse(Self.npy(text), file: "t.npy", member: nil) }
    }

    @Test func refusesBadMagicVersionAndCutHeaders() {
        let good = Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }")
        var v9 = good
        v9[6] = 9
        for bad in [Data("NUMPY".utf8), v9, good.prefix(9), good.prefix(good.count - 5)] {
            #expect(throws: NPZError.self) { try NPYHeader.parse(bad, file: "t.npy", member: nil) }
        }
    }
}
