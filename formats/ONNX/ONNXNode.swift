import FairAudit
import Foundation

/// One node of an ONNX graph as the mapper sees it: its attributes by
/// name, and the error that refuses it naming the op, the node and the opset.
struct ONNXNode {
    let proto: Onnx_NodeProto
    /// A name unique among the model's layers (`op_index` when the node has none).
    let name: String
    let file: String
    let opset: Int

    var op: String { proto.opType }

    /// The error refusing this node for `reason`.
    func refuse(_ reason: String) -> ONNXError {
        .unsupportedNode(file: file, node: name, op: op, opset: opset, reason: reason)
    }

    func attribute(_ key: String) -> Onnx_AttributeProto? { proto.attribute.first { $0.name == key } }

    /// The integer attribute `key`, or `fallback`.
    func int(_ key: String, _ fallback: Int) -> Int { attribute(key).map { Int(truncatingIfNeeded: $0.i) } ?? fallback }

    /// The float attribute `key`, or `fallback`.
    func float(_ key: String, _ fallback: Float) -> Float { attribute(key).map(\.f) ?? fallback }

    /// The integer-list attribute `key`, or nil.
    func ints(_ key: String) -> [Int]? { attribute(key).map { $0.ints.map { Int(truncatingIfNeeded: $0) } } }

    /// The string attribute `key`, or `fallback`.
    func string(_ key: String, _ fallback: String) -> String {
        attribute(key).map { String(decoding: $0.s, as: UTF8.self) } ?? fallback
    }

    /// `axis` as a non-negative axis of a value of full rank `rank` (batch axis 0).
    func axis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw refuse("axis \(axis) is outside a value of rank \(rank)") }
        return a
    }
}
