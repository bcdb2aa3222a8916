import FairAudit
import Foundation

extension NPYHeader {
    /// numpy's `descr` for `dtype` stored in `order` (`|` for one-byte types).
    public static func descr(of dtype: DType, order: ByteOrder) -> String? {
        let code: String
        switch dtype {
        case .float16: code = "f2"
        case .float32: code = "f4"
        case .float64: code = "f8"
        case .int8: code = "i1"
        case .int16: code = "i2"
        case .int32: code = "i4"
        case .int64: code = "i8"
        case .uint8: code = "u1"
        case .uint16: code = "u2"
        case .uint32: code = "u4"
        case .uint64: code = "u8"
        case .bool: code = "b1"
        case .bfloat16: return nil
        }
        return (dtype.byteSize == 1 ? "|" : order == .big ? ">" : "<") + code
    }

    /// The preamble numpy's `write_array` makes: `{'descr': …, 'fortran_order': …,
    /// 'shape': …, }`, 21 − len(repr(growth axis)) spaces of growth room, then
    /// spaces and a newline so the data starts at a multiple of 64 bytes.
    /// `major` nil picks 1.0, or 2.0 when the header needs more than 65535 bytes.
    public static func preamble(descr: String, fortranOrder: Bool, shape: [Int], major: UInt8? = nil) -> Data {
        let dims = shape.map(String.init)
        let shapeRepr = shape.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        var header =
            "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeRepr), }"
        if let growth = fortranOrder ? dims.last : dims.first {
            header += String(repeating: " ", count: max(0, 21 - growth.count))
        }
        func wrap(_ v: UInt8) -> Data {
            let lenSize = v == 1 ? 2 : 4
            let hlen = header.utf8.count + 1
            let pad = 64 - ((8 + lenSize + hlen) % 64)
            var d = Data(magic + [v, 0])
            let total = hlen + pad
            for k in 0..<lenSize { d.append(UInt8(truncatingIfNeeded: total >> (8 * k))) }
            d.append(contentsOf: Array(header.utf8))
            d.append(contentsOf: [UInt8](repeating: 0x20, count: pad))
            d.append(0x0A)
            return d
        }
        if let major { return wrap(major) }
        return header.utf8.count + 64 < 65535 ? wrap(1) : wrap(2)
    }
}
