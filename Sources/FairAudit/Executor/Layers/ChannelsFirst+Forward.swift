import Foundation

/// Convolution and pooling run straight on channels-first samples (ONNX's
/// NCHW and NCL) in ``ChannelsFirstOp``'s forward pass, without moving the
/// channel axis last and back around the channels-last op.
///
/// The convolution builds the channels-first patch matrix of a chunk of
/// samples, `P[(c·kh + ky)·kw + kx, s·oh·ow + oy·ow + ox] = x[s, c, iy, ix]`
/// (zero in the padding), whose rows follow an OIHW kernel's columns, so
/// the kernel multiplies it as stored: `Z = K P`, one GEMM per chunk, each
/// sample's `(out, oh·ow)` block then copied out with its bias. Pooling
/// walks each channel's plane; the values equal the channels-last ops'.
extension ChannelsFirstOp {
    /// The forward pass on channels-first `x` when `inner` is a convolution
    /// with an OIHW kernel and one group, a max or average pooling, or a
    /// global pooling; false (`output` untouched) for the general path.
    func directForward(_ x: Batch, _ p: LayerParams, output: inout Batch, cache: inout LayerCache) -> Bool {
        switch inner {
        case let conv as ConvOp: return Self.convolve(conv, x, p, output: &output, scratch: cache.scratch)
        case let pool as PoolOp: return Self.pool(pool, x, output: &output)
        case let pool as GlobalPoolOp: return Self.globalPool(pool, x, output: &output)
        default: return false
        }
    }

    /// `y[s, o] = b[o] + Σ K[o, c, ky, kx] x[s, c, iy, ix]` through the channels-first patch matrix.
    static func convolve(
        _ conv: ConvOp, _ x: Batch, _ p: LayerParams, output: inout Batch, scratch: LayerScratch
    )
        -> Bool
    {
        guard conv.layout == .outIn, !conv.depthwise, x.shape.count == conv.options.rank + 1,
            let (g, groups, out) = try? conv.plan(last(x.shape), kernelCount: p[.kernel].count), groups == 1
        else { return false }
        let positions = g.outPositions
        let k = g.c * g.kh * g.kw
        let rows = x.rows
        output.resize(rows: rows, shape: [out] + (conv.options.rank == 1 ? [g.ow] : [g.oh, g.ow]))
        guard rows > 0, positions > 0 else { return true }
        let chunk = max(1, min(rows, (1 << 18) / max(k * positions, 1)))
        // The patches, and the products `Z` (out × chunk·positions) in the scratch's GEMM buffer.
        Buffers.resize(&scratch.patches, chunk * positions * k)
        Buffers.resize(&scratch.delta, chunk * positions * out)
        let bias = p.has(.bias) ? p[.bias] : []
        x.data.withUnsafeBufferPointer { px in
            p[.kernel].withUnsafeBufferPointer { pk in
                scratch.patches.withUnsafeMutableBufferPointer { pc in
                    scratch.delta.withUnsafeMutableBufferPointer { pz in
                        output.data.withUnsafeMutableBufferPointer { po in
                            guard let xs = px.baseAddress, let ks = pk.baseAddress, let cs = pc.baseAddress,
                                let zs = pz.baseAddress, let os = po.baseAddress
                            else { return }
                            var s0 = 0
                            while s0 < rows {
                                let s1 = min(s0 + chunk, rows)
                                let cols = (s1 - s0) * positions
                                patches(xs, g, samples: s0..<s1, into: cs)
                                gemm(
                                    transA: false, transB: false, m: out, n: cols, k: k, a: ks, lda: k, b: cs,
                                    ldb: cols, beta: 0, c: zs, ldc: cols)
                                for s in s0..<s1 {
                                    for o in 0..<out {
                                        let src = zs + o * cols + (s - s0) * positions
                                        let dst = os + (s * out + o) * positions
                                        let b = bias.isEmpty ? 0 : bias[o]
                                        for j in 0..<positions { dst[j] = src[j] + b }
                                    }
                                }
                                s0 = s1
                            }
                        }
                    }
                }
            }
        }
        return true
    }

    /// Writes the channels-first patch matrix of `samples` into `col`
    /// (`C·kh·kw` rows of `samples.count · oh·ow`): along each output row the
    /// taps inside the input are one strided (contiguous at stride 1) run.
    static func patches(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, samples: Range<Int>, into col: UnsafeMutablePointer<Float>
    ) {
        let cols = samples.count * g.outPositions
        let plane = g.h * g.w
        for c in 0..<g.c {
            for ky in 0..<g.kh {
                for kx in 0..<g.kw {
                    let row = col + ((c * g.kh + ky) * g.kw + kx) * cols
                    // Output column ox reads input column ox·sw + off: inside for lo ≤ ox < hi.
                    let off = kx * g.dw - g.left
                    let lo = off >= 0 ? 0 : min(g.ow, (g.sw - 1 - off) / g.sw)
                    let hi = g.w - off <= 0 ? lo : max(lo, min(g.ow, (g.w - off + g.sw - 1) / g.sw))
                    for (i, s) in samples.enumerated() {
                        let xs = x + (s * g.c + c) * plane
                        var dst = row + i * g.outPositions
                        if g.sw == 1, g.sh == 1, g.ow == g.w {
                            shiftedPlane(xs, g, ky: ky, off: off, lo: lo, hi: hi, into: dst)
                            continue
                        }
                        for oy in 0..<g.oh {
                            let iy = oy * g.sh - g.top + ky * g.dh
                            if iy < 0 || iy >= g.h {
                                dst.update(repeating: 0, count: g.ow)
                            } else {
                                let src = xs + iy * g.w
                                for ox in 0..<lo { dst[ox] = 0 }
                                if g.sw == 1 {
                                    for ox in lo..<hi { dst[ox] = src[ox + off] }
                                } else {
                                    for ox in lo..<hi { dst[ox] = src[ox * g.sw + off] }
                                }
                                for ox in hi..<g.ow { dst[ox] = 0 }
                            }
                            dst += g.ow
                        }
                    }
                }
            }
        }
    }

    /// One patch row of one sample when the output rows are as wide as the
    /// input's (stride 1, `ow = w`): the input rows inside the window are
    /// one contiguous run shifted by `off`, copied at once; the columns
    /// outside `lo..<hi` (read across a row's end) and the rows outside the
    /// input are then zeroed.
    @inline(__always)
    static func shiftedPlane(
        _ xs: UnsafePointer<Float>, _ g: ConvGeometry, ky: Int, off: Int, lo: Int, hi: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let shift = ky * g.dh - g.top  // output row oy reads input row oy + shift
        let first = max(0, -shift)
        let last = min(g.oh, g.h - shift)
        guard first < last, lo < hi else { return dst.update(repeating: 0, count: g.outPositions) }
        dst.update(repeating: 0, count: first * g.ow)
        let count = (last - first - 1) * g.ow + hi - lo
        (dst + first * g.ow + lo).update(from: xs + (first + shift) * g.w + off + lo, count: count)
        for oy in first..<last {
            let line = dst + oy * g.ow
            for ox in 0..<lo { line[ox] = 0 }
            for ox in hi..<g.ow { line[ox] = 0 }
        }
        (dst + last * g.ow).update(repeating: 0, count: (g.oh - last) * g.ow)
    }

    /// Max or mean over each window's cells inside the input, channel plane by plane.
    static func pool(_ op: PoolOp, _ x: Batch, output: inout Batch) -> Bool {
        guard x.shape.count == op.options.rank + 1, op.options.dilation.allSatisfy({ $0 == 1 }),
            let g = try? ConvGeometry(shape: last(x.shape), options: op.options)
        else { return false }
        output.resize(rows: x.rows, shape: [g.c] + (op.options.rank == 1 ? [g.ow] : [g.oh, g.ow]))
        let max = op.kind == .max
        let pairs =
            g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.top == 0 && g.left == 0
            && 2 * g.oh <= g.h && 2 * g.ow <= g.w
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { po in
                guard let xs = px.baseAddress, let os = po.baseAddress else { return }
                if pairs { return pool2x2(xs, g, planes: x.rows * g.c, max: max, into: os) }
                for plane in 0..<(x.rows * g.c) {
                    let src = xs + plane * g.inPositions
                    var dst = os + plane * g.outPositions
                    for oy in 0..<g.oh {
                        let y0 = oy * g.sh - g.top
                        let ys = Swift.max(y0, 0)..<Swift.min(y0 + g.kh, g.h)
                        for ox in 0..<g.ow {
                            let x0 = ox * g.sw - g.left
                            let xr = Swift.max(x0, 0)..<Swift.min(x0 + g.kw, g.w)
                            var v: Float = max ? -.infinity : 0
                            for iy in ys {
                                let line = src + iy * g.w
                                if max {
                                    for ix in xr where !(line[ix] <= v) { v = line[ix] }
                                } else {
                                    for ix in xr { v += line[ix] }
                                }
                            }
                            let cells = ys.count * xr.count
                            if !max, cells > 0 { v *= 1 / Float(cells) }
                            dst[ox] = v
                        }
                        dst += g.ow
                    }
                }
            }
        }
        return true
    }

    /// 2 × 2 windows at stride 2 without padding (`MaxPool2d(2)`,
    /// `AvgPool2d(2)`): every window inside the input, its four cells read
    /// in the general path's order.
    static func pool2x2(
        _ xs: UnsafePointer<Float>, _ g: ConvGeometry, planes: Int, max: Bool, into os: UnsafeMutablePointer<Float>
    ) {
        for plane in 0..<planes {
            let src = xs + plane * g.inPositions
            let dst = os + plane * g.outPositions
            for oy in 0..<g.oh {
                let a = src + 2 * oy * g.w
                let b = a + g.w
                let line = dst + oy * g.ow
                if max {
                    for ox in 0..<g.ow {
                        var v = -Float.infinity
                        if !(a[2 * ox] <= v) { v = a[2 * ox] }
                        if !(a[2 * ox + 1] <= v) { v = a[2 * ox + 1] }
                        if !(b[2 * ox] <= v) { v = b[2 * ox] }
                        if !(b[2 * ox + 1] <= v) { v = b[2 * ox + 1] }
                        line[ox] = v
                    }
                } else {
                    for ox in 0..<g.ow { line[ox] = (((a[2 * ox] + a[2 * ox + 1]) + b[2 * ox]) + b[2 * ox + 1]) * 0.25 }
                }
            }
        }
    }

    /// The mean or max of each channel's plane.
    static func globalPool(_ op: GlobalPoolOp, _ x: Batch, output: inout Batch) -> Bool {
        guard let shape = try? op.outputShape([last(x.shape)], params: [:]) else { return false }
        let c = x.shape.first ?? 0
        let per = c > 0 ? x.width / c : 0
        output.resize(rows: x.rows, shape: first(shape))
        let max = op.kind == .max
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { po in
                guard let xs = px.baseAddress, let os = po.baseAddress else { return }
                for plane in 0..<(x.rows * c) {
                    let src = xs + plane * per
                    var v: Float = max ? -.infinity : 0
                    if max {
                        for q in 0..<per where src[q] > v || src[q].isNaN { v = src[q] }
                    } else {
                        for q in 0..<per { v += src[q] }
                        if per > 0 { v *= 1 / Float(per) }
                    }
                    os[plane] = v
                }
            }
        }
        return true
    }
}
