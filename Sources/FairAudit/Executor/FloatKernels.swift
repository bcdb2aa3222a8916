import CBLAS

/// Small element-wise loops of the backward pass, on raw buffers.
enum FloatKernels {
    /// `x ← x ∘ x`, each row `r` times `rowWeights[r]` when given.
    static func squareInPlace(_ x: inout [Float], rows: Int, width: Int, rowWeights: [Float]?) {
        x.withUnsafeMutableBufferPointer { p in
            guard let s = p.baseAddress else { return }
            let n = min(p.count, rows * width)
            for i in 0..<n { s[i] *= s[i] }
            if let w = rowWeights {
                for r in 0..<min(rows, w.count) { let wr = w[r]; for j in 0..<width { s[r * width + j] *= wr } }
            }
        }
    }

    /// `acc[j] += Σ_r d[r, j]` (or `Σ_r w_r · d[r, j]²` when `squares`, or
    /// `Σ_r (d ⊙ e)[r, j]` / its weighted square when `e` is given).
    static func addColumnSums(_ d: [Float], times e: [Float]? = nil, squares: Bool, rowWeights: [Float]?,
                              rows: Int, width: Int, into acc: inout [Float]) {
        guard d.count >= rows * width, acc.count >= width, e == nil || (e?.count ?? 0) >= rows * width else { return }
        acc.withUnsafeMutableBufferPointer { pa in
            d.withUnsafeBufferPointer { pd in
                guard let a = pa.baseAddress, let d = pd.baseAddress else { return }
                for r in 0..<rows {
                    let wr = rowWeights?[r] ?? 1
                    let row = d + r * width
                    if let e {
                        e.withUnsafeBufferPointer { pe in
                            guard let er = pe.baseAddress.map({ $0 + r * width }) else { return }
                            for j in 0..<width { let v = row[j] * er[j]; a[j] += squares ? wr * v * v : v }
                        }
                    } else if squares {
                        for j in 0..<width { a[j] += wr * row[j] * row[j] }
                    } else {
                        for j in 0..<width { a[j] += row[j] }
                    }
                }
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
