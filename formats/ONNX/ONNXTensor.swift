import FairAudit
import Foundation

/// Conversion between an ONNX `TensorProto` and a fairaudit ``Tensor``.
///
/// ONNX stores values either as little-endian `raw_data` or in a typed
/// repeated field: `float_data` (float32), `double_data` (float64),
/// `int64_data` (int64), `uint64_data` (uint32, uint64) and `int32_data`
/// for every narrower type (int8/16/32, uint8/16, bool, and the bit
/// patterns of float16 and bfloat16).
enum ONNXTensor {
    /// The ONNX `TensorProto.DataType` number of each dtype fairaudit has.
    static let codes: [DType: Int32] = [
        .float32: 1, .uint8: 2, .int8: 3, .uint16: 4, .int16: 5, .int32: 6, .int64: 7,
        .bool: 9, .float16: 10, .float64: 11, .uint32: 12, .uint64: 13, .bfloat16: 16,
    ]
    /// The names ONNX gives the types fairaudit does not read.
    static let otherTypes: [Int32: String] = [
        0: "UNDEFINED", 8: "STRING", 14: "COMPLEX64", 15: "COMPLEX128", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ",
        19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
    ]

    /// The dtype of ONNX type number `code`, or nil.
    static func dtype(_ code: Int32) -> DType? { codes.first { $0.value == code }?.key }

    /// The tensor `proto` holds, its values as little-endian C-order bytes.
    /// Refuses unknown types, negative or overflowing shapes, data whose
    /// length does not match the shape, and external data unless `external`
    /// (the model's folder) is given; then only a file inside that folder.
    /// `raw` gives the tensor's `raw_data` as a range of `cursor`'s file, read when first used.
    static func tensor(
        from proto: Onnx_TensorProto, file: String, external: URL? = nil,
        raw: (cursor: ONNXFileCursor, range: Range<Int>)? = nil
    ) throws -> Tensor {
        func bad(_ reason: String) -> ONNXError { .badTensor(file: file, tensor: proto.name, reason: reason) }
        let isExternal = proto.dataLocation == .external || !proto.externalData.isEmpty
        if isExternal, external == nil {
            let location = proto.externalData.first { $0.key == "location" }?.value ?? "?"
            throw bad(
                "its values are in the external file '\(location)', which is read only with --allow-external-data")
        }
        if proto.hasSegment { throw bad("is a segment of a larger tensor, which fairaudit does not read") }
        guard let dtype = dtype(proto.dataType) else {
            throw bad("data type \(otherTypes[proto.dataType] ?? "\(proto.dataType)") is not one fairaudit reads")
        }
        var count = 1
        for d in proto.dims {
            guard d >= 0 else { throw bad("negative dimension \(d) in shape \(proto.dims)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(truncatingIfNeeded: d))
            guard !overflow, d <= Int64(Int32.max), p <= Int.max / 16 else {
                throw bad("shape \(proto.dims) has too many elements")
            }
            count = p
        }
        let shape = proto.dims.map { Int($0) }
        let bytes = count * dtype.byteSize
        let data: Data
        if isExternal, let external {
            let storage = try ONNXExternalData(
                proto.externalData.map { ($0.key, $0.value) }, folder: external,
                bytes: bytes, bad: bad
            ).storage()
            return Tensor(
                name: proto.name, dtype: dtype, shape: shape, byteOrder: .little, storage: storage, origin: proto.name)
        } else if let raw {
            guard raw.range.count == bytes else {
                throw bad(
                    "shape \(shape) of \(dtype.rawValue) needs \(bytes) bytes of raw_data, the file holds \(raw.range.count)"
                )
            }
            return Tensor(
                name: proto.name, dtype: dtype, shape: shape, byteOrder: .little,
                storage: raw.cursor.storage(raw.range),
                origin: proto.name)
        } else if proto.hasRawData {
            guard proto.rawData.count == bytes else {
                throw bad(
                    "shape \(shape) of \(dtype.rawValue) needs \(bytes) bytes of raw_data, the file holds \(proto.rawData.count)"
                )
            }
            data = proto.rawData
        } else {
            data = try typedBytes(proto, dtype: dtype, count: count, bad: bad)
        }
        return Tensor(
            name: proto.name, dtype: dtype, shape: shape, byteOrder: .little, storage: .bytes(data),
            origin: proto.name)
    }

    /// The values of a typed `*_data` field as little-endian bytes, checked to hold `count` elements.
    static func typedBytes(
        _ p: Onnx_TensorProto, dtype: DType, count: Int,
        bad: (String) -> ONNXError
    ) throws -> Data {
        func check(_ n: Int, _ field: String) throws {
            guard n == count else {
                throw bad("shape \(p.dims) needs \(count) values, \(field) holds \(n)")
            }
        }
        var out = Data(capacity: count * dtype.byteSize)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        switch dtype {
        case .float32:
            try check(p.floatData.count, "float_data")
            for v in p.floatData { put(v.bitPattern) }
        case .float64:
            try check(p.doubleData.count, "double_data")
            for v in p.doubleData { put(v.bitPattern) }
        case .int64:
            try check(p.int64Data.count, "int64_data")
            for v in p.int64Data { put(v) }
        case .uint64:
            try check(p.uint64Data.count, "uint64_data")
            for v in p.uint64Data { put(v) }
        case .uint32:
            try check(p.uint64Data.count, "uint64_data")
            for v in p.uint64Data { put(UInt32(truncatingIfNeeded: v)) }
        case .int32:
            try check(p.int32Data.count, "int32_data")
            for v in p.int32Data { put(v) }
        case .int16:
            try check(p.int32Data.count, "int32_data")
            for v in p.int32Data { put(Int16(truncatingIfNeeded: v)) }
        case .uint16, .float16, .bfloat16:
            try check(p.int32Data.count, "int32_data")
            for v in p.int32Data { put(UInt16(truncatingIfNeeded: v)) }
        case .int8:
            try check(p.int32Data.count, "int32_data")
            for v in p.int32Data { put(Int8(truncatingIfNeeded: v)) }
        case .uint8, .bool:
            try check(p.int32Data.count, "int32_data")
            for v in p.int32Data { put(UInt8(truncatingIfNeeded: v)) }
        }
        return out
    }

    /// `proto` with its values replaced by `t`'s, as `raw_data` (the typed
    /// fields cleared); name, other fields and unknown fields kept.
    static func replacing(_ proto: Onnx_TensorProto, with t: Tensor, file: String) throws -> Onnx_TensorProto {
        guard let code = codes[t.dtype] else {
            throw ONNXError.cannotWrite(
                file: file, reason: "tensor '\(t.name)' is \(t.dtype.rawValue), which ONNX has no type for")
        }
        let raw = try t.rawBytes()
        guard raw.count >= t.byteCount else {
            throw ONNXError.cannotWrite(
                file: file, reason: "tensor '\(t.name)' has \(raw.count) bytes, its shape needs \(t.byteCount)")
        }
        var values = Data(raw.prefix(t.byteCount))
        if t.byteOrder == .big, t.dtype.byteSize > 1 {
            let size = t.dtype.byteSize
            values.withUnsafeMutableBytes { buf in
                for start in stride(from: 0, to: buf.count, by: size) { buf[start..<start + size].reverse() }
            }
        }
        var p = proto
        p.dataType = code
        p.dims = t.shape.map { Int64($0) }
        p.floatData = []
        p.int32Data = []
        p.int64Data = []
        p.doubleData = []
        p.uint64Data = []
        p.rawData = values
        p.externalData = []
        p.dataLocation = .default
        return p
    }
}
