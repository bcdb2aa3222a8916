import CBLAS

/// Small element-wise loops of the backward pass, on raw buffers.
enum FloatKernels {
    /// `x ← x ∘ x`, each row `r` times `rowWeights[r]` when given.
    static func squareInPlace(_ x: inout [Float], rows: Int, width: Int, rowWeights: [Float]?) {
        x.withUnsafeMutableBufferPointer { p in
            guard let s = p.baseAddress else { return }
            let n = p.count
            for i in 0..<n { s[i] *= s[i] }
            if let w = rowWeights {
                for r in 0..<min(rows, w.count) {
                    let wr = w[r]
                    for j in 0..<width { s[r * width + j] *= wr }
                }
            }
        }
    }

    /// `out ← x ∘ x` over the first `count` values, reusing `out`'s storage.
    static func square(_ x: [Float], count: Int, into out: inout [Float]) {
        Buffers.resize(&out, count)
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                guard let s = px.baseAddress, let d = po.baseAddress, px.count >= count else { return }
                for i in 0..<count { d[i] = s[i] * s[i] }
            }
        }
    }

    /// `x[r, ·] ← w[r] · x[r, ·]` for a row-major `rows × width` matrix.
    static func scaleRows(_ x: inout [Float], rows: Int, width: Int, by w: [Float]) {
        x.withUnsafeMutableBufferPointer { p in
            guard let s = p.baseAddress, p.count >= rows * width, w.count >= rows else { return }
            for r in 0..<rows {
                let wr = w[r]
                for j in 0..<width { s[r * width + j] *= wr }
            }
        }
    }

    /// `acc[j] += Σ_r d[r, j]`, row by row.
    static func addColumnSums(_ d: [Float], rows: Int, width: Int, into acc: UnsafeMutablePointer<Float>) {
        d.withUnsafeBufferPointer { pd in
            guard let d = pd.baseAddress, pd.count >= rows * width else { return }
            for r in 0..<rows {
                let row = d + r * width
                for j in 0..<width { acc[j] += row[j] }
            }
        }
    }
}

/// OpenBLAS set to one thread once per process: the executor runs its own
/// two threads, and OpenBLAS's own threads on top of them (or on the small
/// matrices of a batch) make it several times slower on a shared machine.
enum BLASThreads {
    static let single: Void = { openblas_set_num_threads(1) }()
}
