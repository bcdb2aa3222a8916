import Foundation

extension Network {
    /// Runs the body on `rows` rows of `features` (row-major), keeping what
    /// the backward pass needs.
    func forwardTrace(_ features: [Float], rows: Int) -> ForwardTrace {
        var t = ForwardTrace(ops: ops.count)
        t.inputs[0] = features
        runForward(&t, rows: rows)
        return t
    }

    /// Runs the body on the `rows` rows already in `t.inputs[0]`, writing
    /// every op's output into the trace's reused buffers.
    func runForward(_ t: inout ForwardTrace, rows: Int) {
        t.rows = rows
        for i in ops.indices {
            switch ops[i] {
            case .dense(let k, let b, let nIn, let nOut, let layout, let act, let slope):
                fillBias(b, rows: rows, width: nOut, into: &t.inner[i])
                gemm(t.inputs[i], transA: false, values[k], transB: layout == .outIn, m: rows, n: nOut, k: nIn,
                     lda: nIn, ldb: layout == .inOut ? nOut : nIn, into: &t.inner[i], beta: b == nil ? 0 : 1)
                Buffers.copy(t.inner[i], into: &t.inputs[i + 1])
                act.applyInPlace(&t.inputs[i + 1], width: nOut, slope: slope)
            case .factorized(_, let a, let fb, let rank, let b, let nIn, let nOut, _, let act, let slope):
                // z = (X A) B + b, H = X A kept for the backward pass.
                fillBias(b, rows: rows, width: nOut, into: &t.inner[i])
                Buffers.resize(&t.hidden[i], rows * rank)
                gemm(t.inputs[i], transA: false, values[a], transB: false, m: rows, n: rank, k: nIn,
                     lda: nIn, ldb: rank, into: &t.hidden[i], beta: 0)
                gemm(t.hidden[i], transA: false, values[fb], transB: false, m: rows, n: nOut, k: rank,
                     lda: rank, ldb: nOut, into: &t.inner[i], beta: b == nil ? 0 : 1)
                Buffers.copy(t.inner[i], into: &t.inputs[i + 1])
                act.applyInPlace(&t.inputs[i + 1], width: nOut, slope: slope)
            case .activation(let act, let slope, let w):
                Buffers.copy(t.inputs[i], into: &t.inputs[i + 1])
                act.applyInPlace(&t.inputs[i + 1], width: w, slope: slope)
            case .batchNorm(let g, let b, let m, let v, let eps, let w):
                let mean = values[m]
                let inv = values[v].map { 1 / ($0 + eps).squareRoot() }
                Buffers.copy(t.inputs[i], into: &t.inner[i])
                t.inner[i].withUnsafeMutableBufferPointer { p in
                    guard let x = p.baseAddress, p.count >= rows * w else { return }
                    for r in 0..<rows { for j in 0..<w { x[r * w + j] = (x[r * w + j] - mean[j]) * inv[j] } }
                }
                affine(t.inner[i], gamma: g, beta: b, width: w, rows: rows, into: &t.inputs[i + 1])
            case .layerNorm(let g, let b, let eps, let w):
                Buffers.copy(t.inputs[i], into: &t.inner[i])
                Buffers.resize(&t.invStd[i], rows)
                for r in 0..<rows {
                    var mean: Float = 0
                    for j in 0..<w { mean += t.inner[i][r * w + j] }
                    mean /= Float(w)
                    var v: Float = 0
                    for j in 0..<w { let d = t.inner[i][r * w + j] - mean; v += d * d }
                    let inv = 1 / (v / Float(w) + eps).squareRoot()
                    t.invStd[i][r] = inv
                    for j in 0..<w { t.inner[i][r * w + j] = (t.inner[i][r * w + j] - mean) * inv }
                }
                affine(t.inner[i], gamma: g, beta: b, width: w, rows: rows, into: &t.inputs[i + 1])
            }
        }
    }

    /// Sizes `z` to `rows × width` and, when there is a bias, sets every row to it.
    func fillBias(_ b: Int?, rows: Int, width: Int, into z: inout [Float]) {
        Buffers.resize(&z, rows * width)
        guard let b else { return }
        values[b].withUnsafeBufferPointer { pb in
            z.withUnsafeMutableBufferPointer { pz in
                guard let bias = pb.baseAddress, let dst = pz.baseAddress, pb.count >= width else { return }
                for r in 0..<rows { (dst + r * width).update(from: bias, count: width) }
            }
        }
    }

    /// `y ← γ ⊙ x̂ + β` per row (γ = 1, β = 0 when absent).
    func affine(_ xhat: [Float], gamma: Int?, beta: Int?, width w: Int, rows: Int, into y: inout [Float]) {
        Buffers.copy(xhat, into: &y)
        guard gamma != nil || beta != nil, w > 0 else { return }
        let g = gamma.map { values[$0] }, b = beta.map { values[$0] }
        for r in 0..<rows {
            for j in 0..<w { y[r * w + j] = xhat[r * w + j] * (g?[j] ?? 1) + (b?[j] ?? 0) }
        }
    }

    /// The positive-class probability of each logit row: `σ(z)` for one
    /// unit, `softmax(z)₁ = σ(z₁ − z₀)` for two.
    func scores(logits: [Float], rows: Int) -> [Float] {
        if outputWidth == 1 { return logits.prefix(rows).map(Activation.sigmoid) }
        return (0..<rows).map { Activation.sigmoid(logits[$0 * 2 + 1] - logits[$0 * 2]) }
    }

    /// The positive-class probability for each of `rows` rows of `features`
    /// (row-major, `inputWidth` per row): the sigmoid output of a sigmoid
    /// head, `p(class 1)` of a 2-way softmax, `σ(z)` of a single logit.
    /// Batches run on two threads.
    public func predictScores(features: [Float], rows: Int, batchSize: Int = 512) throws -> [Float] {
        try checkInput(features: features, rows: rows)
        let parts = parallelRanges(rows: rows, parts: rows >= 2 * 256 ? 2 : 1)
        let batch = max(1, batchSize)
        let results = parallelMap(parts.count) { p -> [Float] in
            var out = [Float](); out.reserveCapacity(parts[p].count)
            var trace = ForwardTrace(ops: ops.count)
            var start = parts[p].lowerBound
            while start < parts[p].upperBound {
                let end = min(start + batch, parts[p].upperBound)
                Buffers.resize(&trace.inputs[0], 0)
                trace.inputs[0].append(contentsOf: features[(start * inputWidth)..<(end * inputWidth)])
                runForward(&trace, rows: end - start)
                out.append(contentsOf: scores(logits: trace.logits, rows: end - start))
                start = end
            }
            return out
        }
        return results.flatMap { $0 }
    }

    /// Checks `features` holds `rows × inputWidth` values.
    func checkInput(features: [Float], rows: Int) throws {
        guard rows >= 0, features.count == rows * inputWidth else {
            throw FairAuditError.unsupportedModel(reason:
                "the model takes \(inputWidth) inputs per row but got \(features.count) values for \(rows) rows")
        }
    }
}
