import FairAudit
import Foundation

/// ONNX models (`ModelProto`, as `torch.onnx.export`, `skl2onnx` and
/// `tf2onnx` write them).
///
/// The graph's initializers become the tensors, named and ordered as the
/// file holds them (PyTorch's exporter keeps the state dict's names); a
/// chain of dense nodes on the path to the first graph output becomes the
/// layer list. Writing back replaces only the initializers whose values
/// changed and keeps every other field of the source model.
public enum ONNXFormat: ModelFormat {
    /// `"onnx"`.
    public static let name = "onnx"
    /// `onnx`.
    public static let fileExtensions = ["onnx"]

    /// True when the file parses as the start of a `ModelProto`: its first
    /// field is `ir_version` (field 1, varint, tag `0x08`), as every exporter
    /// writes it, and a later field in the first bytes is the graph (field 7)
    /// or a producer/opset field. Content, not the extension, decides.
    public static func canRead(_ url: URL, prefix: [UInt8]) -> Bool {
        guard prefix.count >= 2, prefix[0] == 0x08 else { return false }
        // ir_version is a small varint (3…20); then a length-delimited or varint field 2…8, 14 or 20.
        var i = 1
        var version: UInt64 = 0
        var shift: UInt64 = 0
        while i < prefix.count, i < 11 {
            let b = prefix[i]
            version |= UInt64(b & 0x7F) << shift
            shift += 7
            i += 1
            if b & 0x80 == 0 { break }
        }
        guard (1...64).contains(version), i < prefix.count else { return false }
        let next = prefix[i] >> 3
        let wire = prefix[i] & 7
        return (2...20).contains(next) && (wire == 0 || wire == 2)
    }
}
