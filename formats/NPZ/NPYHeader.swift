import FairAudit
import Foundation

/// The preamble of an `.npy` array: magic, version, and the header dict
/// `{'descr': …, 'fortran_order': …, 'shape': …}`.
public struct NPYHeader: Sendable, Equatable {
    /// Format version: (1,0), (2,0) or (3,0).
    public var major: UInt8, minor: UInt8
    /// numpy's dtype string, e.g. `<f4`, `>i8`, `|b1`.
    public var descr: String
    /// The element type and its byte order.
    public var dtype: DType, byteOrder: ByteOrder
    /// True when the data is in Fortran (column-major) order.
    public var fortranOrder: Bool
    /// The array's dimensions; empty for a 0-d array.
    public var shape: [Int]
    /// The whole preamble as stored (magic to the header's final newline).
    public var preamble: Data
    /// Number of elements, the product of `shape`.
    public var elementCount: Int
    /// Bytes of data the header declares: `elementCount × dtype.byteSize`.
    public var byteCount: Int

    /// Where the data starts.
    public var dataOffset: Int { preamble.count }
    /// The magic that opens every `.npy` file.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Largest header accepted (numpy's own `max_header_size`).
    public static let maxHeaderLength = 10_000
    /// Bytes to read to be sure to hold any acceptable preamble.
    public static let maxPreamble = 12 + maxHeaderLength

    /// Parses the preamble at the start of `bytes` (zero-based). `file` and
    /// `member` name the array in errors.
    public static func parse(_ bytes: Data, file: String, member: String?) throws -> NPYHeader {
        func bad(_ r: String) -> NPZError { .badHeader(file: file, member: member, reason: r) }
        let (major, minor, descr, fortran, shape, length) = try fields(bytes, file: file, member: member)
        let b = [UInt8](bytes.prefix(length))
        let (dtype, order) = try dtypeOf(descr, file: file, member: member)
        var count = 1
        for d in shape {
            let (m, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw bad("the shape \(shape) overflows") }
            count = m
        }
        let (bytesNeeded, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o else { throw bad("the shape \(shape) overflows") }
        return NPYHeader(
            major: major, minor: minor, descr: descr, dtype: dtype, byteOrder: order,
            fortranOrder: fortran, shape: shape, preamble: Data(b[0..<length]),
            elementCount: count, byteCount: bytesNeeded)
    }

    /// The header's fields: version, `descr` (any, unchecked), Fortran
    /// order, shape, and the preamble's length; for data arrays whose dtype
    /// model weights never have (numpy strings).
    static func fields(
        _ bytes: Data, file: String, member: String?
    ) throws
        -> (major: UInt8, minor: UInt8, descr: String, fortran: Bool, shape: [Int], length: Int)
    {
        func bad(_ r: String) -> NPZError { .badHeader(file: file, member: member, reason: r) }
        let b = [UInt8](bytes.prefix(maxPreamble))
        guard b.count >= 10, Array(b[0..<6]) == magic else {
            throw NPZError.notNPY(file: file, member: member, reason: "no \\x93NUMPY magic")
        }
        let (major, minor) = (b[6], b[7])
        guard [1, 2, 3].contains(major), minor == 0 else {
            throw NPZError.notNPY(file: file, member: member, reason: "unknown format version \(major).\(minor)")
        }
        let lenSize = major == 1 ? 2 : 4
        guard b.count >= 8 + lenSize else { throw bad("the header length is cut off") }
        var hlen = 0
        for k in (0..<lenSize).reversed() { hlen = hlen << 8 | Int(b[8 + k]) }
        guard hlen <= maxHeaderLength else { throw NPZError.headerTooLarge(file: file, member: member, bytes: hlen) }
        let start = 8 + lenSize
        guard b.count >= start + hlen else { throw bad("the header is cut off (\(hlen) bytes declared)") }
        let raw = b[start..<(start + hlen)]
        guard let text = major == 3 ? String(bytes: raw, encoding: .utf8) : String(bytes: raw, encoding: .isoLatin1)
        else {
            throw bad("the header text is not valid \(major == 3 ? "UTF-8" : "Latin-1")")
        }
        guard case .dict(let pairs)? = PyLiteral.parse(text) else {
            throw bad("the header is not a Python dict literal")
        }
        let keys = Set(pairs.map(\.key))
        guard keys == ["descr", "fortran_order", "shape"], pairs.count == 3 else {
            throw bad("the keys are \(pairs.map(\.key).sorted()), expected descr, fortran_order, shape")
        }
        let dict = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw bad("fortran_order is not True or False") }
        guard case .tuple(let dims)? = dict["shape"] else { throw bad("shape is not a tuple") }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let n) = d, n >= 0 else {
                throw bad("shape holds something other than a non-negative integer")
            }
            shape.append(n)
        }
        let descr: String
        switch dict["descr"] {
        case .string(let s)?: descr = s
        case .list?:
            throw NPZError.unsupportedDType(
                file: file, member: member, descr: "[…]",
                reason: "structured (record) dtypes are not model weights")
        default: throw bad("descr is not a string")
        }
        return (major, minor, descr, fortran, shape, start + hlen)
    }

    /// Maps a numpy `descr` to a dtype and byte order; refuses the rest.
    static func dtypeOf(_ descr: String, file: String, member: String?) throws -> (DType, ByteOrder) {
        func refuse(_ r: String) -> NPZError { .unsupportedDType(file: file, member: member, descr: descr, reason: r) }
        guard let first = descr.first else { throw refuse("it is empty") }
        let hasOrder = "<>|=".contains(first)
        let code = hasOrder ? String(descr.dropFirst()) : descr
        let table: [String: DType] = [
            "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
            "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool, "?": .bool,
        ]
        guard let dtype = table[code] else {
            switch code.first {
            case "O": throw refuse("object arrays hold pickled Python objects, which are never unpickled")
            case "V": throw refuse("void/structured dtypes are not model weights")
            case "U", "S", "a": throw refuse("string arrays are not model weights")
            case "c": throw refuse("complex numbers are not supported")
            case "M", "m": throw refuse("dates and time deltas are not model weights")
            default: throw refuse("not a numeric dtype fairaudit reads")
            }
        }
        let order: ByteOrder
        switch first {
        case ">": order = .big
        case "<": order = .little
        case "|" where dtype.byteSize == 1: order = .little
        case "|": throw refuse("a multi-byte type needs a byte order")
        default: order = .native
        }
        return (dtype, dtype.byteSize == 1 ? .little : order)
    }
}
