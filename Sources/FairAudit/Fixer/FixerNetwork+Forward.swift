import CBLAS
import Foundation

/// `C = α·op(A)·op(B) + β·C`, row-major, through `cblas_sgemm`.
@inline(__always)
func fixerGemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, _ a: [Float], lda: Int,
               _ b: [Float], ldb: Int, beta: Float = 0, _ c: inout [Float], ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 { if beta == 0 { for i in 0..<c.count { c[i] = 0 } }; return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, &c, Int32(ldc))
}

extension FixerNetwork {
    /// What the forward pass keeps for the backward one: each op's input,
    /// output, and for factorized layers the inner `H = X A`.
    struct Tape {
        var rows: Int
        var inputs: [[Float]] = []
        var outputs: [[Float]] = []
        var inner: [Int: [Float]] = [:]
    }

    /// Logits (`rows × outputWidth`) of `x` (`rows × inputWidth`), with the tape.
    func forward(_ x: [Float], rows: Int, keepTape: Bool = true) -> (logits: [Float], tape: Tape) {
        var tape = Tape(rows: rows)
        var h = x
        for (index, op) in ops.enumerated() {
            let input = h
            switch op {
            case .dense(let d):
                let layer = denses[d]
                var z = [Float](repeating: 0, count: rows * layer.cols)
                if let bias = layer.bias {
                    params[bias].withUnsafeBufferPointer { b in
                        z.withUnsafeMutableBufferPointer { zp in
                            guard let src = b.baseAddress, let dst = zp.baseAddress, b.count == layer.cols else { return }
                            for r in 0..<rows { (dst + r * layer.cols).update(from: src, count: layer.cols) }
                        }
                    }
                }
                if let (a, b, rank) = layer.factors {
                    var inner = [Float](repeating: 0, count: rows * rank)
                    fixerGemm(false, false, m: rows, n: rank, k: layer.rows, input, lda: layer.rows, params[a], ldb: rank,
                              &inner, ldc: rank)
                    fixerGemm(false, false, m: rows, n: layer.cols, k: rank, inner, lda: rank, params[b], ldb: layer.cols,
                              beta: 1, &z, ldc: layer.cols)
                    if keepTape { tape.inner[index] = inner }
                } else if let k = layer.kernel {
                    fixerGemm(false, false, m: rows, n: layer.cols, k: layer.rows, input, lda: layer.rows, params[k],
                              ldb: layer.cols, beta: 1, &z, ldc: layer.cols)
                }
                h = z
            case .activation(let act, let slope):
                h = Self.activate(input, act, slope: slope)
            case .affine(let scale, let shift):
                let n = scale.count
                for i in 0..<h.count { h[i] = h[i] * scale[i % n] + shift[i % n] }
            }
            if keepTape { tape.inputs.append(input); tape.outputs.append(h) }
        }
        return (h, tape)
    }

    /// The probability of the positive class (label 1) for each row:
    /// `σ(z)` for one logit, `softmax(z)[1]` for several.
    func positiveProbabilities(logits: [Float], rows: Int) -> [Float] {
        switch head {
        case .sigmoid: return logits.map(Self.sigmoid)
        case .softmax(let k):
            return (0..<rows).map { r in Self.softmaxRow(logits, row: r, width: k)[1] }
        }
    }

    /// Softmax of row `row` of a `? × width` logit matrix.
    static func softmaxRow(_ z: [Float], row: Int, width: Int) -> [Float] {
        let base = row * width
        var m = -Float.infinity
        for c in 0..<width { m = max(m, z[base + c]) }
        var out = (0..<width).map { Foundation.exp(z[base + $0] - m) }
        let s = out.reduce(0, +)
        for c in 0..<width { out[c] /= s }
        return out
    }

    /// Positive-class probabilities of all rows of `x`, in chunks of `chunk` rows.
    func predict(_ x: [Float], rows: Int, chunk: Int = 4096) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows)
        var start = 0
        while start < rows {
            let n = min(chunk, rows - start)
            let slice = Array(x[(start * inputWidth)..<((start + n) * inputWidth)])
            let (z, _) = forward(slice, rows: n, keepTape: false)
            out.append(contentsOf: positiveProbabilities(logits: z, rows: n))
            start += n
        }
        return out
    }
}
