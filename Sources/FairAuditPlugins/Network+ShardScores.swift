import FairAudit

extension Network {
    /// Rows scored per block by ``shardInvariantScores(features:rows:)``.
    public static let scoreBlock = 512

    /// Each row's score, the same float whichever rows it is scored with:
    /// rows go through the executor in blocks of exactly ``scoreBlock`` rows,
    /// the last one padded with zero rows, so every GEMM has the same shape
    /// and a row's products are summed in the same order on any shard, at any
    /// offset. (A GEMM over another number of rows may round a row's score
    /// differently in the last bit, which would make a shard's sums differ
    /// from one run's.)
    public func shardInvariantScores(features: [Float], rows: Int) throws -> [Float] {
        let block = Self.scoreBlock, width = inputWidth
        guard features.count == rows * width else {
            return try predictScores(features: features, rows: rows)  // reports the mismatch
        }
        var out = [Float]()
        out.reserveCapacity(rows)
        var padded = [Float](repeating: 0, count: block * width)
        var start = 0
        while start < rows {
            let n = min(block, rows - start)
            padded.withUnsafeMutableBufferPointer { p in
                features.withUnsafeBufferPointer { f in
                    for i in 0..<(n * width) { p[i] = f[start * width + i] }
                    for i in (n * width)..<(block * width) { p[i] = 0 }
                }
            }
            out.append(contentsOf: try predictScores(features: padded, rows: block, batchSize: block).prefix(n))
            start += n
        }
        return out
    }
}
