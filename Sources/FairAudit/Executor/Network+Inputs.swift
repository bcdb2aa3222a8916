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
            let limit = Float(n)
            // The first value that is not an id: outside [0, n) (NaN too) or not whole (checked by a
            // truncating conversion, exact inside [0, n), rather than a call to round each).
            let bad: (Int, Int, Float)? = features.withUnsafeBufferPointer { f in
                guard rows > 0, f.count >= rows * inputWidth, offset + width <= inputWidth else { return nil }
                for r in 0..<rows {
                    let row = r * inputWidth + offset
                    for j in 0..<width {
                        let v = f[row + j]
                        guard v >= 0, v < limit, Float(Int(v)) == v else { return (r, j, v) }
                    }
                }
                return nil
            }
            if let (r, j, v) = bad {
                throw FairAuditError.invalidInput(
                    path: "input '\(inputNames[k])'",
                    reason:
                        "row \(r + 1), column \(offset + j + 1) holds \(v), which is not an id of embedding '\(node.name)' (whole numbers 0…\(n - 1))"
                )
            }
        }
    }
}
