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
        let width = inputWidth
        guard features.count == rows * width else {
            return try predictScores(features: features, rows: rows)  // reports the mismatch
        }
        var out = [Float]()
        out.reserveCapacity(rows)
        var padded = [Float](repeating: 0, count: Self.scoreBlock * width)
        try features.withUnsafeBufferPointer { f in
            var start = 0
            while start < rows {
                let n = min(Self.scoreBlock, rows - start)
                out += try scoreOneBlock(
                    UnsafeBufferPointer(rebasing: f[(start * width)..<((start + n) * width)]), rows: n,
                    padded: &padded)
                start += n
            }
        }
        return out
    }

    /// The scores of `rows` ≤ ``scoreBlock`` rows of `features`, run as one
    /// block of exactly ``scoreBlock`` rows (copied into `padded`, zero rows after them).
    func scoreOneBlock(_ features: UnsafeBufferPointer<Float>, rows n: Int, padded: inout [Float]) throws -> [Float] {
        let block = Self.scoreBlock
        let width = inputWidth
        padded.withUnsafeMutableBufferPointer { p in
            for i in 0..<(n * width) { p[i] = features[i] }
            for i in (n * width)..<(block * width) { p[i] = 0 }
        }
        return Array(try predictScores(features: padded, rows: block, batchSize: block).prefix(n))
    }
}
