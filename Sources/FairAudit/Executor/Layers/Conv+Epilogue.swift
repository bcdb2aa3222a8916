import Foundation

/// What the forward pass for scores does to a convolution's output chunk by
/// chunk, while the chunk is still in cache from its GEMM, instead of a pass
/// over the whole batch per layer: the layers after the convolution that
/// read nothing else of its (``Network/inferenceSteps()``).
///
/// A `BatchNormalization` over the channels is the per-channel
/// `z ← z·s + t` (`s = γ / √(σ² + ε)`, `t = β − μ s`); runs of them and the
/// bias merge into one multiply-add (`(z + b)·s + t = z·s + (b s + t)`), so a
/// normalization that directly follows the convolution costs nothing beyond
/// the bias. The backward pass and the Fisher run the layers one by one.
struct ConvEpilogue: Sendable {
    /// One layer folded into the convolution's output.
    enum Stage: Sendable, Equatable {
        /// Node `node`, a `BatchNormalization` over the last axis.
        case batchNorm(node: Int)
        /// `max(z, 0)`.
        case relu
        /// `z + v` with value `value` of the network (the `Add`'s other input).
        case add(value: Int)
    }

    /// What runs on each chunk, in order.
    enum Step: Equatable {
        /// `z[·, o] ← z[·, o]·s[o] + t[o]`, `s` and `t` at `offset·channels` and
        /// `(offset + 1)·channels` of the coefficients.
        case affine(offset: Int)
        case relu
        /// `z ← z + v` with the addend batch.
        case add
    }

    /// The stages in the order the layers run.
    var stages: [Stage]
    /// The node whose value the chain writes (the last stage's).
    var last: Int

    /// The steps with the bias (when `hasBias`) and each run of batch
    /// normalizations merged into one affine step; their coefficients are
    /// ``coefficients(bias:norms:channels:into:)``'s.
    func steps(hasBias: Bool) -> [Step] {
        var out: [Step] = []
        var pending = hasBias
        var slots = 0
        func flush() {
            guard pending else { return }
            out.append(.affine(offset: 2 * slots))
            slots += 1
            pending = false
        }
        for stage in stages {
            switch stage {
            case .batchNorm: pending = true
            case .relu:
                flush()
                out.append(.relu)
            case .add:
                flush()
                out.append(.add)
            }
        }
        flush()
        return out
    }

    /// Writes each affine step's `s` then `t` (`channels` each) into
    /// `coefficients`, in step order: the bias `b` (when given) and the
    /// normalizations (`norms`, the per-channel `(s, t)` of each
    /// `.batchNorm` stage in order) composed, `s = Π sᵢ`, `t` folded through
    /// each `t ← t·sᵢ + tᵢ`.
    func coefficients(bias: [Float]?, norms: [(scale: [Float], shift: [Float])], channels: Int, into c: inout [Float]) {
        c.removeAll(keepingCapacity: true)
        var scale = [Float](repeating: 1, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        if let bias { for o in 0..<min(channels, bias.count) { shift[o] = bias[o] } }
        var pending = bias != nil
        var k = 0
        func flush() {
            guard pending else { return }
            c.append(contentsOf: scale)
            c.append(contentsOf: shift)
            for o in 0..<channels {
                scale[o] = 1
                shift[o] = 0
            }
            pending = false
        }
        for stage in stages {
            switch stage {
            case .batchNorm:
                pending = true
                guard k < norms.count else { continue }
                let (s, t) = norms[k]
                k += 1
                for o in 0..<min(channels, s.count, t.count) {
                    scale[o] *= s[o]
                    shift[o] = shift[o] * s[o] + t[o]
                }
            case .relu, .add: flush()
            }
        }
        flush()
    }

    /// The coefficients `steps` read: `s` and `t` of each affine step.
    static func coefficientCount(_ steps: [Step], channels: Int) -> Int {
        var n = 0
        for case .affine(let offset) in steps { n = Swift.max(n, (offset + 2) * channels) }
        return n
    }

    /// Runs `steps` on `rows` output positions of `channels` values at `z`
    /// (`addend`: the `.add` step's values at the same positions; the
    /// coefficients hold ``coefficientCount(_:channels:)`` values).
    static func apply(
        _ steps: [Step], coefficients: UnsafePointer<Float>?, addend: UnsafePointer<Float>?,
        to z: UnsafeMutablePointer<Float>, rows: Int, channels: Int
    ) {
        let n = rows * channels
        for step in steps {
            switch step {
            case .affine(let offset):
                guard let coefficients else { continue }
                let s = coefficients + offset * channels
                let t = s + channels
                if channels % 4 == 0 {
                    affineBlocks(s, t, to: z, rows: rows, channels: channels)
                } else {
                    affinePeriods(s, t, to: z, rows: rows, channels: channels)
                }
            case .relu:
                for i in 0..<n { z[i] = Swift.max(z[i], 0) }
            case .add:
                guard let a = addend else { continue }
                for i in 0..<n { z[i] += a[i] }
            }
        }
    }

    /// `z[r, o] ← z[r, o]·s[o] + t[o]` four channels at a time, each block's
    /// `s` and `t` held in registers down the rows (`channels` a multiple of
    /// four): the per-row loop over eight channels was vectorized behind an
    /// overlap check on every row.
    @inline(__always) static func affineBlocks(
        _ s: UnsafePointer<Float>, _ t: UnsafePointer<Float>, to z: UnsafeMutablePointer<Float>, rows: Int,
        channels: Int
    ) {
        var j = 0
        while j < channels {
            let sv = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD4<Float>.self)
            let tv = UnsafeRawPointer(t + j).loadUnaligned(as: SIMD4<Float>.self)
            var p = UnsafeMutableRawPointer(z + j)
            for _ in 0..<rows {
                p.storeBytes(of: p.loadUnaligned(as: SIMD4<Float>.self) * sv + tv, as: SIMD4<Float>.self)
                p += 4 &* channels
            }
            j += 4
        }
    }

    /// `z[r, o] ← z[r, o]·s[o] + t[o]` for a channel count not a multiple of
    /// four: `s` and `t` repeated over `lcm(channels, 4)` values, the chunk
    /// walked four values at a time a period (a few rows) at once; the rows
    /// past the last whole period one by one.
    static func affinePeriods(
        _ s: UnsafePointer<Float>, _ t: UnsafePointer<Float>, to z: UnsafeMutablePointer<Float>, rows: Int,
        channels: Int
    ) {
        guard channels > 0 else { return }
        let period = channels % 2 == 0 ? 2 * channels : 4 * channels
        let per = period / channels
        let whole = rows / per
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * period) { buffer in
            guard let e = buffer.baseAddress else { return }
            for i in 0..<period {
                e[i] = s[i % channels]
                e[period + i] = t[i % channels]
            }
            let se = UnsafeRawPointer(e)
            let te = UnsafeRawPointer(e + period)
            var p = UnsafeMutableRawPointer(z)
            for _ in 0..<whole {
                var j = 0
                while j < 4 * period {
                    let v = p.loadUnaligned(fromByteOffset: j, as: SIMD4<Float>.self)
                    let sv = se.loadUnaligned(fromByteOffset: j, as: SIMD4<Float>.self)
                    let tv = te.loadUnaligned(fromByteOffset: j, as: SIMD4<Float>.self)
                    p.storeBytes(of: v * sv + tv, toByteOffset: j, as: SIMD4<Float>.self)
                    j += 16
                }
                p += 4 * period
            }
        }
        for r in (whole * per)..<rows {
            let row = z + r * channels
            for o in 0..<channels { row[o] = row[o] * s[o] + t[o] }
        }
    }
}
