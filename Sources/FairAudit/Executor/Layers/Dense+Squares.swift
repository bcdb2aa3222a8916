import CBLAS
import Foundation

/// The per-group (and per-permutation-round) sums of a dense layer's squared
/// per-sample gradients, the Fisher's accumulation (docs/method.md §1, §8).
extension Dense {
    /// `out[k][c, ·] += Σ_n w[n, c] g_n²` for the kernel and bias of a dense
    /// layer with input `x` and delta `d`. One position per sample: the
    /// squared-GEMM identity `(X∘X)ᵀ (w_c ∘ Δ∘Δ)`, exact because each sample
    /// adds one outer product — per column over only the rows it weighs
    /// (a group's, in a permutation round). The squares are float32, the
    /// products and sums double (`dgemm`), so the sums do not depend on how
    /// rows are batched. Inputs mostly zero (one-hot columns, ReLU outputs):
    /// input by input instead, every column in one `dgemm` per input
    /// (``accumulateByInput``). Several positions: per-sample sums over positions,
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
        if nOut <= 2, weights.columns > 1, weights.weights.count >= rows * weights.columns {
            accumulateByOutput(
                x2, d2, rows: rows, nIn: nIn, nOut: nOut, layout: layout, roles: roles, weights: weights, into: out)
            return
        }
        if nIn >= 16, zeros * 2 > x2.count {
            accumulateByInput(
                x2, d2, rows: rows, nIn: nIn, nOut: nOut, layout: layout, roles: roles, weights: weights, into: out)
            return
        }
        var xs = [Double](repeating: 0, count: rows * nIn)
        var ds = [Double](repeating: 0, count: rows * nOut)
        let wantKernel = roles.contains { $0 == .kernel || $0 == .factorA || $0 == .factorB }
        let (list, counts) = columnRows(weights)
        for c in 0..<weights.columns {
            // The rows this column weighs, gathered: X∘X as is, Δ∘Δ times the weight.
            let m = gatherWeighted(
                x2, d2, weights: weights, column: c, rows: list[(c * rows)..<(c * rows + counts[c])], nIn: nIn,
                nOut: nOut, gatherX: wantKernel, into: &xs, &ds)
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

    /// The identity of ``accumulateSquares`` input by input, for inputs
    /// mostly zero (one-hot columns, ReLU outputs): for each input `a` the
    /// rows with `x[n, a] ≠ 0` gathered, `x²[n, a] δ²[n, ·]` (exact in double)
    /// beside the rows' weights, and every column at once,
    /// `out[c][a, ·] += Σ_n w[n, c] x²[n, a] δ²[n, ·]`, one `dgemm`
    /// (`columns × nOut`, inner size the rows gathered) per input; the bias
    /// `out[c][·] += Σ_n w[n, c] δ²[n, ·]` one `dgemm` over all rows. Its work
    /// is the non-zero inputs times the columns, whatever the share of rows
    /// each column weighs: with the permutation rounds' columns it does about
    /// twice the multiplications of adding each row into each column it is
    /// in, in a few large BLAS calls instead of many short loops.
    private static func accumulateByInput(
        _ x2: [Double], _ d2: [Double], rows: Int, nIn: Int, nOut: Int, layout: KernelLayout,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let columns = weights.columns
        guard columns > 0, weights.weights.count >= rows * columns else { return }
        let kernels = roles.indices.filter { [.kernel, .factorA, .factorB].contains(roles[$0]) }
        let bias = roles.firstIndex(of: .bias)
        // The weights in double, and which rows any column weighs.
        var wd = [Double](repeating: 0, count: rows * columns)
        var active = [Bool](repeating: false, count: rows)
        for r in 0..<rows {
            for c in 0..<columns {
                let v = Double(weights.weights[r * columns + c])
                wd[r * columns + c] = v
                if v != 0 { active[r] = true }
            }
        }
        if let b = bias {
            wd.withUnsafeBufferPointer { pw in
                d2.withUnsafeBufferPointer { pd in
                    guard let w = pw.baseAddress, let d = pd.baseAddress else { return }
                    dgemm(
                        transA: true, transB: false, m: columns, n: nOut, k: rows, a: w, lda: columns, b: d,
                        ldb: nOut, c: out[b], ldc: nOut)
                }
            }
        }
        guard !kernels.isEmpty else { return }
        // Each input's rows with x ≠ 0 among those any column weighs, in row order
        // (`list[a · rows ..< a · rows + counts[a]]`), in one pass.
        var counts = [Int](repeating: 0, count: nIn)
        var list = [Int32](repeating: 0, count: nIn * rows)
        var weighed = 0
        x2.withUnsafeBufferPointer { px in
            counts.withUnsafeMutableBufferPointer { pc in
                list.withUnsafeMutableBufferPointer { pl in
                    guard let x = px.baseAddress, let count = pc.baseAddress, let l = pl.baseAddress else { return }
                    for r in 0..<rows where active[r] {
                        weighed += 1
                        let row = x + r * nIn
                        for a in 0..<nIn {
                            // No branch on x (ReLU outputs are zero at random).
                            l[a * rows + count[a]] = Int32(r)
                            count[a] += row[a] != 0 ? 1 : 0
                        }
                    }
                }
            }
        }
        var ws = [Double](repeating: 0, count: rows * columns)
        var ds = [Double](repeating: 0, count: rows * nOut)
        var block = [Double](repeating: 0, count: layout == .inOut ? 0 : columns * nOut)
        x2.withUnsafeBufferPointer { px in
            d2.withUnsafeBufferPointer { pd in
                wd.withUnsafeBufferPointer { pw in
                    ws.withUnsafeMutableBufferPointer { ow in
                        ds.withUnsafeMutableBufferPointer { od in
                            block.withUnsafeMutableBufferPointer { ob in
                                guard let x = px.baseAddress, let d = pd.baseAddress, let w = pw.baseAddress,
                                    let wo = ow.baseAddress, let dO = od.baseAddress
                                else { return }
                                for a in 0..<nIn where counts[a] > 0 {
                                    // An input set in nearly every row: all rows, `δ²` as it is (no copy).
                                    let wide = counts[a] * 8 >= weighed * 7
                                    var m = 0
                                    var b = UnsafePointer(dO)
                                    if wide {
                                        for r in 0..<rows {
                                            let v = x[r * nIn + a]
                                            let src = w + r * columns
                                            let dst = wo + r * columns
                                            for c in 0..<columns { dst[c] = v * src[c] }
                                        }
                                        m = rows
                                        b = d
                                    } else {
                                        for i in 0..<counts[a] {
                                            let r = Int(list[a * rows + i])
                                            let v = x[r * nIn + a]
                                            let src = w + r * columns
                                            let dst = wo + m * columns
                                            for c in 0..<columns { dst[c] = v * src[c] }
                                            (dO + m * nOut).update(from: d + r * nOut, count: nOut)
                                            m += 1
                                        }
                                    }
                                    for k in kernels {
                                        // (c, a, j) at c·nIn·nOut + a·nOut + j (inOut), + j·nIn + a (outIn).
                                        addProduct(
                                            columns: columns, width: nOut, k: m, a: wo, b: b, into: out[k],
                                            columnStride: nIn * nOut, at: layout == .inOut ? a * nOut : a,
                                            stride: layout == .inOut ? 1 : nIn, buffer: ob.baseAddress)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `Double(v·v)` of the first `count` values (the square rounded to
    /// float32 once), and how many are 0; four at a time.
    private static func squares(_ v: [Float], count: Int) -> ([Double], Int) {
        let n = min(count, v.count)
        var zeros = SIMD4<Int32>(repeating: 0)
        var tail = 0
        let out = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            v.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = buffer.baseAddress else { return }
                var i = 0
                while i + 4 <= n {
                    let x = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD4<Float>.self)
                    let q = x * x
                    zeros &+= SIMD4<Int32>(repeating: 0).replacing(with: 1, where: q .== 0)
                    UnsafeMutableRawPointer(d + i).storeBytes(
                        of: SIMD4<Double>(Double(q[0]), Double(q[1]), Double(q[2]), Double(q[3])),
                        as: SIMD4<Double>.self)
                    i += 4
                }
                while i < n {
                    let q = s[i] * s[i]
                    if q == 0 { tail += 1 }
                    d[i] = Double(q)
                    i += 1
                }
            }
            initialized = n
        }
        return (out, Int(zeros.wrappedSum()) + tail)
    }

    /// Each column's rows with a non-zero weight, ascending: column `c`'s are
    /// `list[c · rows ..< c · rows + counts[c]]`. Built without a branch on the
    /// weights (a permutation round's are random, so a branch on them mispredicts).
    static func columnRows(_ weights: Membership) -> (list: [Int32], counts: [Int]) {
        let rows = weights.rows
        let columns = weights.columns
        var counts = [Int](repeating: 0, count: columns)
        var list = [Int32](repeating: 0, count: rows * columns)
        guard weights.weights.count >= rows * columns else { return (list, counts) }
        weights.weights.withUnsafeBufferPointer { pw in
            counts.withUnsafeMutableBufferPointer { pc in
                list.withUnsafeMutableBufferPointer { pl in
                    guard let w = pw.baseAddress, let count = pc.baseAddress, let l = pl.baseAddress else { return }
                    for r in 0..<rows {
                        let row = w + r * columns
                        for c in 0..<columns {
                            l[c * rows + count[c]] = Int32(r)
                            count[c] += row[c] != 0 ? 1 : 0
                        }
                    }
                }
            }
        }
        return (list, counts)
    }

    /// Copies `rows` (those with a non-zero weight in `column`) to the front of
    /// `xs` (`X∘X`, when `gatherX`) and `ds` (`w ⊙ Δ∘Δ`); returns how many.
    private static func gatherWeighted(
        _ x2: [Double], _ d2: [Double], weights: Membership, column c: Int, rows list: ArraySlice<Int32>, nIn: Int,
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
                            for i in list {
                                let r = Int(i)
                                let wr = w[r * weights.columns + c]
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

    /// ``accumulateSquares`` for a layer of one or two outputs (a sigmoid or
    /// two-class head) under several weight columns: per output `j`,
    /// `out[c][a, j] += Σ_n w[n, c] (x²[n, a] δ²[n, j])` for every column and
    /// input in one `dgemm` (`Wᵀ (X∘X ∘ δ²_j)`, inner size the rows; each
    /// product of two float32 squares is exact in double), the bias
    /// `out[c][j] += Σ_n w[n, c] δ²[n, j]` in one more. Gathering each
    /// column's rows or each input's would call BLAS per column or input for
    /// a product of one output wide.
    private static func accumulateByOutput(
        _ x2: [Double], _ d2: [Double], rows: Int, nIn: Int, nOut: Int, layout: KernelLayout,
        roles: [ParameterRole], weights: Membership, into out: [UnsafeMutablePointer<Double>]
    ) {
        let columns = weights.columns
        let wd = weights.weights.prefix(rows * columns).map(Double.init)
        var xd = [Double](repeating: 0, count: rows * nIn)
        // inOut with two outputs: column stride 2 in the sums, so through a buffer.
        var block = [Double](repeating: 0, count: layout == .inOut && nOut > 1 ? columns * nIn : 0)
        wd.withUnsafeBufferPointer { pw in
            d2.withUnsafeBufferPointer { pd in
                x2.withUnsafeBufferPointer { px in
                    xd.withUnsafeMutableBufferPointer { pxd in
                        block.withUnsafeMutableBufferPointer { pb in
                            guard let w = pw.baseAddress, let d = pd.baseAddress, let x = px.baseAddress,
                                let xs = pxd.baseAddress
                            else { return }
                            for (k, role) in roles.enumerated() {
                                switch role {
                                case .bias:
                                    dgemm(
                                        transA: true, transB: false, m: columns, n: nOut, k: rows, a: w, lda: columns,
                                        b: d, ldb: nOut, c: out[k], ldc: nOut)
                                case .kernel, .factorA, .factorB:
                                    for j in 0..<nOut {
                                        for r in 0..<rows {
                                            let v = d[r * nOut + j]
                                            let src = x + r * nIn
                                            let dst = xs + r * nIn
                                            for a in 0..<nIn { dst[a] = v * src[a] }
                                        }
                                        // (c, a) at c·nIn·nOut + j·nIn + a (outIn, or one output),
                                        // + a·nOut + j (inOut).
                                        let direct = layout == .outIn || nOut == 1
                                        addProduct(
                                            columns: columns, width: nIn, k: rows, a: w, b: xs, into: out[k],
                                            columnStride: nIn * nOut, at: direct ? j * nIn : j,
                                            stride: direct ? 1 : nOut, buffer: pb.baseAddress)
                                    }
                                default: break
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `S[c, x] += Σ_r A[r, c] B[r, x]` (`A`: `k × columns`, `B`: `k × width`) for
    /// every column `c` and `x < width`, into the sums at `base`: column `c`'s
    /// element `x` at `c·columnStride + at + x·stride`. Contiguous (`stride` 1):
    /// one `dgemm` adding in place; otherwise the product goes to `buffer`
    /// (`columns × width`) first and is added element by element.
    private static func addProduct(
        columns: Int, width: Int, k: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
        into base: UnsafeMutablePointer<Double>, columnStride: Int, at: Int, stride: Int,
        buffer: UnsafeMutablePointer<Double>?
    ) {
        if stride == 1 {
            dgemm(
                transA: true, transB: false, m: columns, n: width, k: k, a: a, lda: columns, b: b, ldb: width,
                c: base + at, ldc: columnStride)
        } else if let t = buffer {
            t.update(repeating: 0, count: columns * width)
            dgemm(
                transA: true, transB: false, m: columns, n: width, k: k, a: a, lda: columns, b: b, ldb: width,
                c: t, ldc: width)
            for c in 0..<columns {
                let o = base + c * columnStride + at
                for x in 0..<width { o[x * stride] += t[c * width + x] }
            }
        }
    }
}
