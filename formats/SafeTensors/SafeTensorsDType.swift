import FairAudit

/// The dtype names of the safetensors header (`"F32"`, `"BF16"`, …) and
/// fairaudit's element types.
enum SafeTensorsDType {
    /// Header name → element type, for every dtype fairaudit holds.
    static let byName: [String: DType] = [
        "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16,
        "I64": .int64, "I32": .int32, "I16": .int16, "I8": .int8,
        "U64": .uint64, "U32": .uint32, "U16": .uint16, "U8": .uint8, "BOOL": .bool,
    ]

    /// Dtypes safetensors defines that fairaudit refuses, with the reason.
    static let refused: [String: String] = [
        "F8_E4M3": "8-bit floats (float8_e4m3fn) are not read; convert the tensor to F16, BF16 or F32 first",
        "F8_E5M2": "8-bit floats (float8_e5m2) are not read; convert the tensor to F16, BF16 or F32 first",
        "F8_E8M0": "8-bit scale floats (float8_e8m0fnu) are not read; convert the tensor to F16, BF16 or F32 first",
        "F6_E2M3": "6-bit floats are not read; convert the tensor to F16, BF16 or F32 first",
        "F6_E3M2": "6-bit floats are not read; convert the tensor to F16, BF16 or F32 first",
        "F4": "4-bit floats are not read; convert the tensor to F16, BF16 or F32 first",
        "C64": "complex numbers are not model weights fairaudit reads",
    ]

    /// The header name of `dtype`.
    static func name(of dtype: DType) -> String {
        switch dtype {
        case .float64: "F64"
        case .float32: "F32"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int64: "I64"
        case .int32: "I32"
        case .int16: "I16"
        case .int8: "I8"
        case .uint64: "U64"
        case .uint32: "U32"
        case .uint16: "U16"
        case .uint8: "U8"
        case .bool: "BOOL"
        }
    }
}
