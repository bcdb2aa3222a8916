import Foundation

extension Fixer {
    /// The positive-class probability the model gives each of the first
    /// `limit` rows of `data` (all rows when nil): `σ(z)` for one logit,
    /// `softmax(z)[1]` for several. Dropout is the identity (inference).
    public static func predictions(graph: ModelGraph, data: LabeledData, limit: Int? = nil) throws -> [Float] {
        let net = try Network(fixing: graph)
        guard data.featureCount == net.inputWidth, data.features.count >= data.rowCount * net.inputWidth else {
            throw FairAuditError.invalidInput(
                path: data.source,
                reason: "has \(data.featureCount) feature columns, the model takes \(net.inputWidth)")
        }
        let rows = min(limit ?? data.rowCount, data.rowCount)
        let z = net.logits(Array(data.features.prefix(rows * net.inputWidth)), rows: rows)
        return net.loss.positive(z, rows: rows)
    }

    /// Checks that `reread` — the written file read back through its format —
    /// predicts what `expected` (the in-memory model) does on the first
    /// `rows` rows of `data`, within `tolerance` (absolute, per row).
    /// Throws `writeFailed` naming the first row that differs.
    public static func verifyPredictions(
        expected: ModelGraph, reread: ModelGraph, data: LabeledData,
        rows: Int = 256, tolerance: Float = 1e-6
    ) throws {
        let want = try predictions(graph: expected, data: data, limit: rows)
        try verifyPredictions(expected: want, reread: reread, data: data, tolerance: tolerance)
    }

    /// Checks that `reread` predicts `expected` (scores of the first
    /// `expected.count` rows of `data`) within `tolerance` (absolute); errors
    /// name `path` (default: where `reread` was read from).
    public static func verifyPredictions(
        expected: [Float], reread: ModelGraph, data: LabeledData,
        tolerance: Float = 1e-6, path: String? = nil
    ) throws {
        let got = try predictions(graph: reread, data: data, limit: expected.count)
        let path = path ?? reread.source?.path ?? "the written model"
        guard got.count == expected.count else {
            throw FairAuditError.writeFailed(
                path: path, reason: "read back, it scored \(got.count) rows instead of \(expected.count)")
        }
        for (i, (a, b)) in zip(expected, got).enumerated() where !(abs(a - b) <= tolerance) {
            throw FairAuditError.writeFailed(
                path: path,
                reason:
                    "read back, it predicts \(b) for row \(i + 1) where the fixed model predicts \(a) (tolerance \(tolerance))"
            )
        }
    }
}
