import FairAudit
import Foundation

extension SafeTensorsHeader {
    /// The header bytes for `entries` (in this order) and `metadata`, as the
    /// reference serializes them: compact JSON, `__metadata__` first, then
    /// `{"dtype","shape","data_offsets"}` per tensor, padded with spaces to a
    /// multiple of 8 bytes so the data section starts 8-byte aligned.
    /// Returns the 8-byte length followed by the JSON.
    static func encode(_ entries: [Entry], metadata: [(key: String, value: String)]?) -> Data {
        var parts: [String] = []
        if let metadata {
            let pairs = metadata.map { "\(JSONValue.quote($0.key)):\(JSONValue.quote($0.value))" }
            parts.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\(JSONValue.quote(e.name)):{\"dtype\":\"\(SafeTensorsDType.name(of: e.dtype))\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(e.offsets.lowerBound),\(e.offsets.upperBound)]}")
        }
        var json = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        let pad = (8 - json.count % 8) % 8
        json.append(contentsOf: [UInt8](repeating: 0x20, count: pad))
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }
}
