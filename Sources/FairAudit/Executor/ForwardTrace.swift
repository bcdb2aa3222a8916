import Foundation

/// What the forward pass keeps for the backward pass; its buffers are
/// reused batch after batch, so a steady batch size allocates nothing.
struct ForwardTrace {
    var rows = 0
    /// `inputs[i]` is the input of op `i` (`rows × width`); the last entry the logits.
    var inputs: [[Float]]
    /// Dense: the pre-activation `z`; normalization: the normalized `x̂`.
    var inner: [[Float]]
    /// Layer norm: `1/√(var + ε)` per row.
    var invStd: [[Float]]
    /// Factorized dense: the inner product `H = X A` (`rows × rank`).
    var hidden: [[Float]]

    init(ops: Int) {
        inputs = Array(repeating: [], count: ops + 1)
        inner = Array(repeating: [], count: ops)
        invStd = Array(repeating: [], count: ops)
        hidden = Array(repeating: [], count: ops)
    }

    /// The logits (`rows × outputWidth`), before the head.
    var logits: [Float] { inputs.last ?? [] }
}

/// Buffers reused across batches: resized, never reallocated when the size repeats.
enum Buffers {
    /// Makes `a` hold `n` elements, keeping its storage (contents unspecified past the old count).
    @inline(__always) static func resize(_ a: inout [Float], _ n: Int) {
        if a.count > n { a.removeLast(a.count - n) } else if a.count < n { a.append(contentsOf: repeatElement(0, count: n - a.count)) }
    }

    /// `dst ← src`, reusing `dst`'s storage.
    @inline(__always) static func copy(_ src: [Float], into dst: inout [Float]) {
        resize(&dst, src.count)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                guard let sb = s.baseAddress, let db = d.baseAddress else { return }
                db.update(from: sb, count: s.count)
            }
        }
    }
}
