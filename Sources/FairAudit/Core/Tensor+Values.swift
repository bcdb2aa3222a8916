import Foundation

extension Tensor {
    /// All values converted to `Double` (bool → 0/1, integers exactly where
    /// they fit a double), in C order.
    public func doubleValues() throws -> [Double] {
        let data = try rawBytes()
        return try Tensor.decode(data, dtype: dtype, byteOrder: byteOrder, count: elementCount, name: name)
    }

    /// All values converted to `Float`, in C order.
    public func floatValues() throws -> [Float] {
        if dtype == .float32 && byteOrder == .native {
            let data = try rawBytes()
            guard data.count >= byteCount else {
                throw FairAuditError.truncatedTensor(name: name, expected: byteCount, found: data.count)
            }
            return data.withUnsafeBytes { raw in
                Array(raw.bindMemory(to: Float.self).prefix(elementCount))
            }
        }
        return try doubleValues().map { Float($0) }
    }

    /// A copy holding `values` encoded in this tensor's own dtype and byte
    /// order, marked modified; the shape must keep its element count.
    public func replacingValues(_ values: [Float]) throws -> Tensor {
        guard values.count == elementCount else {
            throw FairAuditError.shapeMismatch(name: name, expected: shape, found: [values.count])
        }
        var copy = self
        copy.storage = .bytes(Tensor.encode(values.map(Double.init), dtype: dtype, byteOrder: byteOrder))
        copy.isModified = true
        return copy
    }

    /// Decodes `count` elements of `dtype` stored in `byteOrder` from `data`.
    public static func decode(
        _ data: Data, dtype: DType, byteOrder: ByteOrder, count: Int,
        name: String
    ) throws -> [Double] {
        let need = count * dtype.byteSize
        guard data.count >= need else {
            throw FairAuditError.truncatedTensor(name: name, expected: need, found: data.count)
        }
        var out = [Double](repeating: 0, count: count)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            out.withUnsafeMutableBufferPointer { buffer in
                decode(raw, from: 0, count: count, dtype: dtype, byteOrder: byteOrder, into: buffer)
            }
        }
        return out
    }

    /// Decodes elements `start ..< start + count` of `raw` (which the caller
    /// has checked holds them) into `out[0 ..< count]`.
    static func decode(
        _ raw: UnsafeRawBufferPointer, from start: Int, count: Int, dtype: DType,
        byteOrder: ByteOrder, into out: UnsafeMutableBufferPointer<Double>
    ) {
        let swap = byteOrder != .native
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let v = raw.loadUnaligned(fromByteOffset: (start + i) * MemoryLayout<T>.size, as: T.self)
            return swap ? v.byteSwapped : v
        }
        switch dtype {
        case .float16: for i in 0..<count { out[i] = Double(Float16(bitPattern: load(UInt16.self, i))) }
        case .bfloat16: for i in 0..<count { out[i] = Double(Float(bitPattern: UInt32(load(UInt16.self, i)) << 16)) }
        case .float32: for i in 0..<count { out[i] = Double(Float(bitPattern: load(UInt32.self, i))) }
        case .float64: for i in 0..<count { out[i] = Double(bitPattern: load(UInt64.self, i)) }
        case .int8: for i in 0..<count { out[i] = Double(load(Int8.self, i)) }
        case .int16: for i in 0..<count { out[i] = Double(load(Int16.self, i)) }
        case .int32: for i in 0..<count { out[i] = Double(load(Int32.self, i)) }
        case .int64: for i in 0..<count { out[i] = Double(load(Int64.self, i)) }
        case .uint8: for i in 0..<count { out[i] = Double(load(UInt8.self, i)) }
        case .uint16: for i in 0..<count { out[i] = Double(load(UInt16.self, i)) }
        case .uint32: for i in 0..<count { out[i] = Double(load(UInt32.self, i)) }
        case .uint64: for i in 0..<count { out[i] = Double(load(UInt64.self, i)) }
        case .bool: for i in 0..<count { out[i] = load(UInt8.self, i) != 0 ? 1 : 0 }
        }
    }

    /// Encodes `values` as `dtype` in `byteOrder` (floats round to nearest,
    /// integers round toward zero and clamp to the type's range).
    public static func encode(_ values: [Double], dtype: DType, byteOrder: ByteOrder) -> Data {
        var data = Data(count: values.count * dtype.byteSize)
        let swap = byteOrder != .native
        data.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            func store<T: FixedWidthInteger>(_ v: T, _ i: Int) {
                raw.storeBytes(of: swap ? v.byteSwapped : v, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
            }
            func clamp<T: FixedWidthInteger>(_ v: Double, _: T.Type) -> T {
                if v.isNaN { return 0 }
                if v <= Double(T.min) { return T.min }
                if v >= Double(T.max) { return T.max }
                return T(v)
            }
            for (i, v) in values.enumerated() {
                switch dtype {
                case .float16: store(Float16(v).bitPattern, i)
                case .bfloat16: store(Tensor.bfloat16Bits(Float(v)), i)
                case .float32: store(Float(v).bitPattern, i)
                case .float64: store(v.bitPattern, i)
                case .int8: store(clamp(v, Int8.self), i)
                case .int16: store(clamp(v, Int16.self), i)
                case .int32: store(clamp(v, Int32.self), i)
                case .int64: store(clamp(v, Int64.self), i)
                case .uint8: store(clamp(v, UInt8.self), i)
                case .uint16: store(clamp(v, UInt16.self), i)
                case .uint32: store(clamp(v, UInt32.self), i)
                case .uint64: store(clamp(v, UInt64.self), i)
                case .bool: store(UInt8(v != 0 ? 1 : 0), i)
                }
            }
        }
        return data
    }

    /// bfloat16 bits of `x`, rounded to nearest even (NaN kept quiet).
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
