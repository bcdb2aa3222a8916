import CBLAS
import Foundation

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
                    gemm(input, transA: false, params[a], transB: false, m: rows, n: rank, k: layer.rows, lda: layer.rows, ldb: rank, into: &inner, beta: 0)
                    gemm(inner, transA: false, params[b], transB: false, m: rows, n: layer.cols, k: rank, lda: rank, ldb: layer.cols, into: &z, beta: 1)
                    if keepTape { tape.inner[index] = inner }
                } else if let k = layer.kernel {
                    gemm(input, transA: false, params[k], transB: false, m: rows, n: layer.cols, k: layer.rows,
                         lda: layer.rows, ldb: layer.cols, into: &z, beta: 1)
                }
                h = z
            case .activation(let act, let slope):
                h = act.apply(input, width: 1, slope: slope)
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
        case .sigmoid: return logits.map { Activation.sigmoid($0) }
        case .softmax(let k):
            return (0..<rows).map { r in Self.softmaxRow(logits, row: r, width: k)[1] }
        }
    }

    /// Softmax of row `row` of a `? × width` logit matrix.
    static func softmaxRow(_ z: [Float], row: Int, width: Int) -> [Float] {
        var out = Array(z[(row * width)..<((row + 1) * width)])
        out.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { Activation.softmaxRows(base, count: width, width: width) }
        }
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
