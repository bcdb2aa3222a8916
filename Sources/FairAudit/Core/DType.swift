import Foundation

/// The element types a tensor can hold, named as numpy names them.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float16, bfloat16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool

    /// Bytes one element takes on disk.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// True for the IEEE and brain floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: true
        default: false
        }
    }
}

/// The order of the bytes within one element as stored.
public enum ByteOrder: String, Sendable, Codable {
    case little, big

    /// The byte order of the machine running fairaudit.
    public static let native: ByteOrder = (1.littleEndian == 1) ? .little : .big
}
