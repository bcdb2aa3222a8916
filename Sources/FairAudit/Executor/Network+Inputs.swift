import Foundation

extension Network {
    /// Where model input `k` starts in a row of the features (`inputWidth` values per row).
    func inputOffset(_ k: Int) -> Int {
        inputShapes.prefix(k).reduce(0) { $0 + $1.reduce(1, *) }
    }

    /// Checks every id a model input feeds straight into an `Embedding` is
    /// a whole number inside the table; the error names the row, the
    /// column (1-based, within the row's features) and the layer.
    func checkEmbeddingIds(features: [Float], rows: Int) throws {
        for node in nodes {
            guard let e = node.op as? EmbeddingOp, let k = node.inputs.first, k < inputCount, let n = e.inputDim else {
                continue
            }
            let offset = inputOffset(k)
            let width = valueShapes[k].reduce(1, *)
            for r in 0..<rows {
                for j in 0..<width {
                    let v = features[r * inputWidth + offset + j]
                    guard v.isFinite, v == v.rounded(), v >= 0, v < Float(n) else {
                        throw FairAuditError.invalidInput(
                            path: "input '\(inputNames[k])'",
                            reason:
                                "row \(r + 1), column \(offset + j + 1) holds \(v), which is not an id of embedding '\(node.name)' (whole numbers 0…\(n - 1))"
                        )
                    }
                }
            }
        }
    }
}
