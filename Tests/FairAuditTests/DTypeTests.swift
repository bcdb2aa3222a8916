import Foundation
import Testing

@testable import FairAudit

/// Encoding then decoding every dtype in both byte orders gives the values back.
@Suite struct DTypeTests {
    static let cases: [(DType, ByteOrder)] = DType.allCases.flatMap { [($0, .little), ($0, .big)] }

    @Test(arguments: cases)
    func roundTrip(dtype: DType, order: ByteOrder) throws {
        let values: [Double] = dtype == .bool ? [0, 1, 1, 0] : [0, 1, 2, 3, 100, dtype.isFloatingPoint ? -0.5 : 7]
        let data = Tensor.encode(values, dtype: dtype, byteOrder: order)
        #expect(data.count == values.count * dtype.byteSize)
        let back = try Tensor.decode(data, dtype: dtype, byteOrder: order, count: values.count, name: "t")
        #expect(back == values)
    }

    @Test func bigEndianFloat32Bytes() throws {
        // 1.0f is 0x3F800000; big-endian puts 0x3F first.
        let data = Tensor.encode([1.0], dtype: .float32, byteOrder: .big)
        #expect([UInt8](data) == [0x3F, 0x80, 0x00, 0x00])
    }

    @Test func float16AndBfloat16Bits() throws {
        // 1.5 in float16 is 0x3E00, in bfloat16 0x3FC0 (little-endian on disk).
        #expect([UInt8](Tensor.encode([1.5], dtype: .float16, byteOrder: .little)) == [0x00, 0x3E])
        #expect([UInt8](Tensor.encode([1.5], dtype: .bfloat16, byteOrder: .little)) == [0xC0, 0x3F])
    }

    @Test func truncatedDataIsAnError() {
        #expect(throws: FairAuditError.self) {
            try Tensor.decode(Data([1, 2, 3]), dtype: .float32, byteOrder: .little, count: 1, name: "t")
        }
    }

    @Test func statsMatchDirectComputation() throws {
        let values: [Double] = [1, 2, 3, 4, .nan, .infinity, 10]
        let t = Tensor(
            name: "x", dtype: .float64, shape: [7],
            storage: .bytes(Tensor.encode(values, dtype: .float64, byteOrder: .little)))
        let s = try t.stats(chunkElements: 3)
        let finite = values.filter(\.isFinite)
        let mean = finite.reduce(0, +) / Double(finite.count)
        let std = (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(finite.count)).squareRoot()
        #expect(s.nanCount == 1 && s.infCount == 1)
        #expect(s.min == 1 && s.max == 10)
        #expect(abs(s.mean - mean) < 1e-12 && abs(s.std - std) < 1e-12)
    }
}
