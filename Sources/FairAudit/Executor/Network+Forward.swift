import Foundation

/// What the forward pass keeps for the backward pass, one entry per op.
struct ForwardTrace {
    let rows: Int
    /// The input of each op (`rows × inputWidth`).
    var inputs: [[Float]] = []
    /// Dense: the pre-activation `z`; normalization: the normalized `x̂`.
    var inner: [[Float]] = []
    /// Layer norm: `1/√(var + ε)` per row.
    var invStd: [[Float]] = []
    /// The logits (`rows × outputWidth`), before the head.
    var logits: [Float] = []
}

extension Network {
    /// Runs the body on `rows` rows of `features` (row-major), keeping what
    /// the backward pass needs.
    func forwardTrace(_ features: [Float], rows: Int) -> ForwardTrace {
        var t = ForwardTrace(rows: rows)
        var x = features
        for op in ops {
            t.inputs.append(x)
            switch op {
            case .dense(let k, let b, let nIn, let nOut, let layout, let act, let slope):
                var z = [Float](repeating: 0, count: rows * nOut)
                if let b {
                    values[b].withUnsafeBufferPointer { pb in
                        z.withUnsafeMutableBufferPointer { pz in
                            guard let bias = pb.baseAddress, let z = pz.baseAddress, pb.count >= nOut else { return }
                            for r in 0..<rows { (z + r * nOut).update(from: bias, count: nOut) }
                        }
                    }
                }
                gemm(x, transA: false, values[k], transB: layout == .outIn, m: rows, n: nOut, k: nIn,
                     lda: nIn, ldb: layout == .inOut ? nOut : nIn, into: &z, beta: b == nil ? 0 : 1)
                t.inner.append(z); t.invStd.append([])
                x = act.apply(z, width: nOut, slope: slope)
            case .activation(let act, let slope, let w):
                t.inner.append([]); t.invStd.append([])
                x = act.apply(x, width: w, slope: slope)
            case .batchNorm(let g, let b, let m, let v, let eps, let w):
                let mean = values[m], variance = values[v]
                let gamma = g.map { values[$0] }, beta = b.map { values[$0] }
                var xhat = x
                let inv = variance.map { 1 / ($0 + eps).squareRoot() }
                for r in 0..<rows { for j in 0..<w { xhat[r * w + j] = (x[r * w + j] - mean[j]) * inv[j] } }
                t.inner.append(xhat); t.invStd.append([])
                x = Network.affine(xhat, gamma: gamma, beta: beta, width: w)
            case .layerNorm(let g, let b, let eps, let w):
                var xhat = x
                var invs = [Float](repeating: 0, count: rows)
                for r in 0..<rows {
                    var mean: Float = 0
                    for j in 0..<w { mean += x[r * w + j] }
                    mean /= Float(w)
                    var v: Float = 0
                    for j in 0..<w { let d = x[r * w + j] - mean; v += d * d }
                    let inv = 1 / (v / Float(w) + eps).squareRoot()
                    invs[r] = inv
                    for j in 0..<w { xhat[r * w + j] = (x[r * w + j] - mean) * inv }
                }
                t.inner.append(xhat); t.invStd.append(invs)
                x = Network.affine(xhat, gamma: g.map { values[$0] }, beta: b.map { values[$0] }, width: w)
            }
        }
        t.logits = x
        return t
    }

    /// `γ ⊙ x̂ + β` per row (γ = 1, β = 0 when absent).
    static func affine(_ xhat: [Float], gamma: [Float]?, beta: [Float]?, width w: Int) -> [Float] {
        guard gamma != nil || beta != nil, w > 0 else { return xhat }
        var y = xhat
        for r in 0..<(xhat.count / w) {
            for j in 0..<w { y[r * w + j] = xhat[r * w + j] * (gamma?[j] ?? 1) + (beta?[j] ?? 0) }
        }
        return y
    }

    /// The positive-class probability of each logit row: `σ(z)` for one
    /// unit, `softmax(z)₁ = σ(z₁ − z₀)` for two.
    func scores(logits: [Float], rows: Int) -> [Float] {
        if outputWidth == 1 { return logits.map(Activation.sigmoid) }
        return (0..<rows).map { Activation.sigmoid(logits[$0 * 2 + 1] - logits[$0 * 2]) }
    }

    /// The positive-class probability for each of `rows` rows of `features`
    /// (row-major, `inputWidth` per row): the sigmoid output of a sigmoid
    /// head, `p(class 1)` of a 2-way softmax, `σ(z)` of a single logit.
    /// Batches run on two threads.
    public func predictScores(features: [Float], rows: Int, batchSize: Int = 512) throws -> [Float] {
        try checkInput(features: features, rows: rows)
        let parts = parallelRanges(rows: rows, parts: rows >= 2 * 256 ? 2 : 1)
        let results = parallelMap(parts.count) { p -> [Float] in
            var out = [Float](); out.reserveCapacity(parts[p].count)
            var start = parts[p].lowerBound
            while start < parts[p].upperBound {
                let end = min(start + batchSize, parts[p].upperBound)
                let x = Array(features[(start * inputWidth)..<(end * inputWidth)])
                let trace = forwardTrace(x, rows: end - start)
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
