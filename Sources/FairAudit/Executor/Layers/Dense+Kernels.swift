import CBLAS
import Foundation

/// The matrix work of a dense layer, shared by ``DenseOp`` and ``FactorizedDenseOp``.
enum Dense {
    /// `z = X W + b` for `rows` rows of `nIn` values (`W` in its stored layout).
    static func affine(
        _ x: [Float], rows: Int, nIn: Int, nOut: Int, kernel: [Float], layout: KernelLayout,
        bias: [Float]?, into z: inout [Float]
    ) {
        fillBias(bias, rows: rows, width: nOut, into: &z)
        gemm(
            x, transA: false, kernel, transB: layout == .outIn, m: rows, n: nOut, k: nIn,
            lda: nIn, ldb: layout == .inOut ? nOut : nIn, into: &z, beta: bias == nil ? 0 : 1)
    }

    /// Sizes `z` to `rows × width` and, with a bias, sets every row to it.
    static func fillBias(_ bias: [Float]?, rows: Int, width: Int, into z: inout [Float]) {
        Buffers.resize(&z, rows * width)
        guard let bias else { return }
        bias.withUnsafeBufferPointer { pb in
            z.withUnsafeMutableBufferPointer { pz in
                guard let b = pb.baseAddress, let dst = pz.baseAddress, pb.count >= width else { return }
                Buffers.fillRows(dst, rows: rows, with: b, width: width)
            }
        }
    }

    /// `Σ_r d[r, j]`, one `sgemv` with a vector of ones.
    static func columnSums(_ d: [Float], rows: Int, width: Int) -> [Float] {
        var acc = [Float](repeating: 0, count: width)
        guard rows > 0, width > 0, d.count >= rows * width else { return acc }
        let ones = [Float](repeating: 1, count: rows)
        cblas_sgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(width), 1, d, blasint(width), ones, 1, 0, &acc, 1)
        return acc
    }

    /// Per-sample gradients of a dense layer's `kernel` (`rows × nIn·nOut`,
    /// stored layout) or `bias` (`rows × nOut`): for sample `n` with
    /// positions `t`, `Σ_t x_{n,t} ⊗ δ_{n,t}` and `Σ_t δ_{n,t}`.
    static func sampleGradients(_ d: [Float], x: Batch, nOut: Int, layout: KernelLayout, role: ParameterRole) -> [Float]
    {
        let rows = x.rows
        let t = x.positions
        let nIn = x.lastAxis
        switch role {
        case .bias:
            var out = [Float](repeating: 0, count: rows * nOut)
            for n in 0..<rows {
                for p in 0..<t { for j in 0..<nOut { out[n * nOut + j] += d[(n * t + p) * nOut + j] } }
            }
            return out
        case .kernel, .factorA, .factorB:
            let size = nIn * nOut
            var out = [Float](repeating: 0, count: rows * size)
            x.data.withUnsafeBufferPointer { px in
                d.withUnsafeBufferPointer { pd in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let xs = px.baseAddress, let ds = pd.baseAddress, let o = po.baseAddress else { return }
                        for n in 0..<rows {
                            let xn = xs + n * t * nIn
                            let dn = ds + n * t * nOut
                            if layout == .inOut {
                                gemm(
                                    transA: true, transB: false, m: nIn, n: nOut, k: t, a: xn, lda: nIn, b: dn,
                                    ldb: nOut,
                                    beta: 0, c: o + n * size, ldc: nOut)
                            } else {
                                gemm(
                                    transA: true, transB: false, m: nOut, n: nIn, k: t, a: dn, lda: nOut, b: xn,
                                    ldb: nIn,
                                    beta: 0, c: o + n * size, ldc: nIn)
                            }
                        }
                    }
                }
            }
            return out
        default:
            return []
        }
    }

    /// `out[k][c, ·] += Σ_n w[n, c] g_n²` for the kernel and bias of a dense
    /// layer with input `x` and delta `d`. One position per sample: the
    /// squared-GEMM identity `(X∘X)ᵀ (w_c ∘ Δ∘Δ)`, exact because each sample
    /// adds one outer product — per column over only the rows it weighs
    /// (a group's, in a permutation round). The squares are float32, the
    /// products and sums double (`dgemm`), so the sums do not depend on how
    /// rows are batched. Several positions: per-sample sums over positions,
    /// squared, then one GEMM with the weights.
    static func accumulateSquares(
        x: Batch, delta d: [Float], nOut: Int, layout: KernelLayout, roles: [ParameterRole],
        weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let rows = x.rows
        let nIn = x.lastAxis
        guard rows > 0 else { return }
        guard x.positions == 1 else {
            if roles.allSatisfy({ $0 == .kernel || $0 == .bias }) {
                var buffer: [Float] = []  // one sample's gradient
                d.withUnsafeBufferPointer { pd in
                    guard let db = pd.baseAddress, pd.count >= rows * x.positions * nOut else { return }
                    accumulateSharedSquares(
                        x: x, delta: db, nOut: nOut, layout: layout,
                        kernel: roles.firstIndex(of: .kernel).map { out[$0] },
                        bias: roles.firstIndex(of: .bias).map { out[$0] }, weights: weights, scratch: &buffer)
                }
                return
            }
            for (k, role) in roles.enumerated() {
                let s = sampleGradients(d, x: x, nOut: nOut, layout: layout, role: role)
                DenseOp.addWeightedSquares(s, rows: rows, weights: weights, into: out[k])
            }
            return
        }
        let (x2, zeros) = squares(x.data, count: rows * nIn)
        let (d2, _) = squares(d, count: rows * nOut)
        if layout == .inOut, nIn >= 16, zeros * 2 > x2.count {
            accumulateSparseRows(x2, d2, rows: rows, nIn: nIn, nOut: nOut, roles: roles, weights: weights, into: out)
            return
        }
        var xs = [Double](repeating: 0, count: rows * nIn)
        var ds = [Double](repeating: 0, count: rows * nOut)
        let wantKernel = roles.contains { $0 == .kernel || $0 == .factorA || $0 == .factorB }
        for c in 0..<weights.columns {
            // The rows this column weighs, gathered: X∘X as is, Δ∘Δ times the weight.
            let m = gatherWeighted(
                x2, d2, weights: weights, column: c, nIn: nIn, nOut: nOut, gatherX: wantKernel,
                into: &xs, &ds)
            guard m > 0 else { continue }
            for (k, role) in roles.enumerated() {
                switch role {
                case .kernel, .factorA, .factorB:
                    let o = out[k] + c * nIn * nOut
                    xs.withUnsafeBufferPointer { px in
                        ds.withUnsafeBufferPointer { pd in
                            guard let xp = px.baseAddress, let dp = pd.baseAddress else { return }
                            if layout == .inOut {
                                dgemm(
                                    transA: true, transB: false, m: nIn, n: nOut, k: m, a: xp, lda: nIn, b: dp,
                                    ldb: nOut,
                                    c: o, ldc: nOut)
                            } else {
                                dgemm(
                                    transA: true, transB: false, m: nOut, n: nIn, k: m, a: dp, lda: nOut, b: xp,
                                    ldb: nIn,
                                    c: o, ldc: nIn)
                            }
                        }
                    }
                case .bias:
                    let o = out[k] + c * nOut
                    ds.withUnsafeBufferPointer { pd in
                        guard let dp = pd.baseAddress else { return }
                        for r in 0..<m {
                            let row = dp + r * nOut
                            for j in 0..<nOut { o[j] += row[j] }
                        }
                    }
                default: break
                }
            }
        }
    }

    /// `Double(v·v)` of the first `count` values (the square rounded to
    /// float32 once), and how many are 0.
    private static func squares(_ v: [Float], count: Int) -> ([Double], Int) {
        let n = min(count, v.count)
        var zeros = 0
        let out = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            v.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let q = src[i] * src[i]
                    if q == 0 { zeros += 1 }
                    buffer[i] = Double(q)
                }
            }
            initialized = n
        }
        return (out, zeros)
    }

    /// The identity of ``accumulateSquares`` row by row, over each row's
    /// non-zero inputs only: `out[c][a, ·] += w[n, c] x²[n, a] δ²[n, ·]` for the
    /// `a` with `x[n, a] ≠ 0`. For inputs mostly zero (one-hot columns, the
    /// Adult MLP's first layer has 14 of 80 set; ReLU outputs), it does a fraction of the
    /// GEMM's work for every column a row is in, which is what makes
    /// permutation rounds cheap. Column by column, so that one column's sums
    /// stay in cache while every row it weighs is added (each sum still adds
    /// its rows in row order). Kernel in `inOut` layout.
    private static func accumulateSparseRows(
        _ x2: [Double], _ d2: [Double], rows: Int, nIn: Int, nOut: Int,
        roles: [ParameterRole], weights: Membership,
        into out: [UnsafeMutablePointer<Double>]
    ) {
        let kernel = roles.firstIndex { $0 == .kernel || $0 == .factorA || $0 == .factorB }
        let bias = roles.firstIndex(of: .bias)
        // Each row's non-zero inputs, found once for every column.
        var nonzero = [Int](repeating: 0, count: rows * nIn)
        var ends = [Int](repeating: 0, count: rows)
        var nz = 0
        for r in 0..<rows {
            for a in 0..<nIn where x2[r * nIn + a] != 0 {
                nonzero[nz] = a
                nz += 1
            }
            ends[r] = nz
        }
        let columns = weights.columns
        x2.withUnsafeBufferPointer { px in
            d2.withUnsafeBufferPointer { pd in
                weights.weights.withUnsafeBufferPointer { pw in
                    guard let x = px.baseAddress, let d = pd.baseAddress, let w = pw.baseAddress else { return }
                    for c in 0..<columns {
                        let ok = kernel.map { out[$0] + c * nIn * nOut }
                        let ob = bias.map { out[$0] + c * nOut }
                        var begin = 0
                        for r in 0..<rows {
                            defer { begin = ends[r] }
                            let wr = Double(w[r * columns + c])
                            guard wr != 0 else { continue }
                            let dr = d + r * nOut
                            if let o = ok {
                                for i in begin..<ends[r] {
                                    let a = nonzero[i]
                                    addScaled(x[r * nIn + a] * wr, dr, into: o + a * nOut, count: nOut)
                                }
                            }
                            if let o = ob { addScaled(wr, dr, into: o, count: nOut) }
                        }
                    }
                }
            }
        }
    }

    /// `o[j] += s · d[j]` for `j < count`, four doubles at a time.
    @inline(__always)
    private static func addScaled(
        _ s: Double, _ d: UnsafePointer<Double>, into o: UnsafeMutablePointer<Double>, count: Int
    ) {
        var j = 0
        let v = SIMD4<Double>(repeating: s)
        while j + 4 <= count {
            let sum =
                UnsafeRawPointer(o + j).loadUnaligned(as: SIMD4<Double>.self)
                + v * UnsafeRawPointer(d + j).loadUnaligned(as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(o + j).storeBytes(of: sum, as: SIMD4<Double>.self)
            j += 4
        }
        while j < count {
            o[j] += s * d[j]
            j += 1
        }
    }

    /// Copies the rows with a non-zero weight in `column` to the front of
    /// `xs` (`X∘X`, when `gatherX`) and `ds` (`w ⊙ Δ∘Δ`); returns how many.
    private static func gatherWeighted(
        _ x2: [Double], _ d2: [Double], weights: Membership, column c: Int, nIn: Int,
        nOut: Int, gatherX: Bool, into xs: inout [Double], _ ds: inout [Double]
    ) -> Int {
        var m = 0
        x2.withUnsafeBufferPointer { px in
            d2.withUnsafeBufferPointer { pd in
                weights.weights.withUnsafeBufferPointer { pw in
                    xs.withUnsafeMutableBufferPointer { ox in
                        ds.withUnsafeMutableBufferPointer { od in
                            guard let x = px.baseAddress, let d = pd.baseAddress, let w = pw.baseAddress,
                                let xo = ox.baseAddress, let dO = od.baseAddress
                            else { return }
                            for r in 0..<weights.rows {
                                let wr = w[r * weights.columns + c]
                                guard wr != 0 else { continue }
                                if gatherX { (xo + m * nIn).update(from: x + r * nIn, count: nIn) }
                                if wr == 1 {
                                    (dO + m * nOut).update(from: d + r * nOut, count: nOut)
                                } else {
                                    let wd = Double(wr)
                                    for j in 0..<nOut { dO[m * nOut + j] = wd * d[r * nOut + j] }
                                }
                                m += 1
                            }
                        }
                    }
                }
            }
        }
        return m
    }
}
