import Foundation

/// Keras `MaxPooling1D/2D` and `AveragePooling1D/2D` on channels-last
/// samples, per channel over each window (``ConvGeometry``; `same`
/// padding as TensorFlow's): `max` over the window's cells inside the
/// input, or their mean — padded cells are not counted, as Keras does.
struct PoolOp: LayerOp {
    /// Max or mean.
    enum Kind: String, Sendable { case max, average }
    var kind: Kind
    /// Pool size (`window`), strides and padding.
    var options: SpatialOptions

    var className: String { "\(kind == .max ? "Max" : "Average")Pooling\(options.rank)D" }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        guard options.dilation.allSatisfy({ $0 == 1 }) else {
            throw ShapeError("has a dilated window, which pooling does not take")
        }
        let g = try ConvGeometry(shape: inputs[0], options: options)
        return g.outputShape(rank: options.rank, channels: g.c)
    }

    /// Window by window in two passes per output row: the window's input
    /// rows reduced into one band of `W·C` values (a single input row is
    /// read in place), then each window's columns of the band reduced into
    /// its `C` outputs; every inner loop runs over contiguous values.
    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        guard let g = try? ConvGeometry(shape: x.shape, options: options) else {
            output.resize(rows: 0, shape: [])
            return
        }
        output.resize(rows: x.rows, shape: g.outputShape(rank: options.rank, channels: g.c))
        let c = g.c
        let band = g.w * c
        let max = kind == .max
        let scratch = cache.scratch
        Buffers.resize(&scratch.patches, band)
        guard x.data.count >= x.rows * g.inPositions * c else { return }
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { po in
                scratch.patches.withUnsafeMutableBufferPointer { pb in
                    guard let xs = px.baseAddress, let os = po.baseAddress, let bs = pb.baseAddress else { return }
                    for n in 0..<x.rows {
                        let xn = xs + n * g.inPositions * c
                        for oy in 0..<g.oh {
                            let y0 = oy * g.sh - g.top
                            let ys = Swift.max(y0, 0)..<Swift.min(y0 + g.kh, g.h)
                            let rowsIn = UnsafePointer(bs)
                            let src: UnsafePointer<Float>
                            if ys.count == 1 {
                                src = xn + ys.lowerBound * band
                            } else {
                                Self.reduceRows(xn, ys, band: band, max: max, into: bs)
                                src = rowsIn
                            }
                            let dstRow = os + (n * g.oh + oy) * g.ow * c
                            for ox in 0..<g.ow {
                                let x0 = ox * g.sw - g.left
                                let xr = Swift.max(x0, 0)..<Swift.min(x0 + g.kw, g.w)
                                let dst = dstRow + ox * c
                                Self.reduceCells(src, xr, c: c, max: max, into: dst)
                                let cells = ys.count * xr.count
                                if !max, cells > 1 {
                                    let inv = 1 / Float(cells)
                                    for j in 0..<c { dst[j] *= inv }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `band[i] = max` (or `Σ`) over input rows `ys` of `x[iy·band + i]`
    /// (`-∞` or 0 when `ys` is empty).
    @inline(__always)
    static func reduceRows(
        _ x: UnsafePointer<Float>, _ ys: Range<Int>, band: Int, max: Bool, into b: UnsafeMutablePointer<Float>
    ) {
        guard let first = ys.first else {
            b.update(repeating: max ? -.infinity : 0, count: band)
            return
        }
        b.update(from: x + first * band, count: band)
        for iy in (first + 1)..<ys.upperBound {
            let s = x + iy * band
            if max {
                for i in 0..<band { b[i] = s[i] <= b[i] ? b[i] : s[i] }
            } else {
                for i in 0..<band { b[i] += s[i] }
            }
        }
    }

    /// `dst[j] = max` (or `Σ`) over columns `xr` of `band[ix·c + j]`
    /// (`-∞` or 0 when `xr` is empty).
    @inline(__always)
    static func reduceCells(
        _ band: UnsafePointer<Float>, _ xr: Range<Int>, c: Int, max: Bool, into dst: UnsafeMutablePointer<Float>
    ) {
        guard let first = xr.first else {
            dst.update(repeating: max ? -.infinity : 0, count: c)
            return
        }
        if c >= 4 {
            reduceBlocks(band, xr, c: c, max: max, into: dst)
            return
        }
        let s0 = band + first * c
        for j in 0..<c { dst[j] = s0[j] }
        for ix in (first + 1)..<xr.upperBound {
            let s = band + ix * c
            if max {
                for j in 0..<c { dst[j] = s[j] <= dst[j] ? dst[j] : s[j] }
            } else {
                for j in 0..<c { dst[j] += s[j] }
            }
        }
    }

    /// ``reduceCells`` for `c ≥ 4` four channels at a time, each block
    /// reduced in a register over the window's columns and stored once; a
    /// last block at `c − 4` overlaps the one before when `c` is not a multiple
    /// of four (it stores the same values there), so six channels are two
    /// blocks, not six scalar loops. Max keeps a NaN a cell holds, as the
    /// scalar loop: `v` is replaced by `w` unless `w ≤ v`.
    @inline(__always)
    static func reduceBlocks(
        _ band: UnsafePointer<Float>, _ xr: Range<Int>, c: Int, max: Bool, into dst: UnsafeMutablePointer<Float>
    ) {
        let raw = UnsafeRawPointer(band)
        var b = 0
        while true {
            let j = Swift.min(b, c - 4)
            var v = raw.loadUnaligned(fromByteOffset: 4 * (xr.lowerBound * c + j), as: SIMD4<Float>.self)
            for ix in (xr.lowerBound + 1)..<xr.upperBound {
                let w = raw.loadUnaligned(fromByteOffset: 4 * (ix * c + j), as: SIMD4<Float>.self)
                if max {
                    v.replace(with: w, where: .!(w .<= v))
                } else {
                    v += w
                }
            }
            UnsafeMutableRawPointer(dst + j).storeBytes(of: v, as: SIMD4<Float>.self)
            if j == c - 4 { break }
            b += 4
        }
    }

    /// Max: each output's gradient goes to the first cell of its window
    /// holding the maximum. Average: spread evenly over the window's cells
    /// inside the input.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        guard needInputs, let g = try? ConvGeometry(shape: x.shape, options: options) else { return ([nil], [:]) }
        var dx = [Float](repeating: 0, count: x.data.count)
        let c = g.c
        var best = [Int](repeating: 0, count: c)
        x.data.withUnsafeBufferPointer { px in
            gradOut.data.withUnsafeBufferPointer { pd in
                dx.withUnsafeMutableBufferPointer { pdx in
                    best.withUnsafeMutableBufferPointer { pb in
                        guard let xs = px.baseAddress, let ds = pd.baseAddress, let dxs = pdx.baseAddress,
                            let bs = pb.baseAddress
                        else { return }
                        for n in 0..<x.rows {
                            let xn = xs + n * g.inPositions * c
                            let dn = dxs + n * g.inPositions * c
                            for oy in 0..<g.oh {
                                let y0 = oy * g.sh - g.top
                                let ys = Swift.max(y0, 0)..<Swift.min(y0 + g.kh, g.h)
                                for ox in 0..<g.ow {
                                    let x0 = ox * g.sw - g.left
                                    let xr = Swift.max(x0, 0)..<Swift.min(x0 + g.kw, g.w)
                                    let go = ds + ((n * g.oh + oy) * g.ow + ox) * c
                                    guard !ys.isEmpty, !xr.isEmpty else { continue }
                                    if kind == .max {
                                        let first = ys.lowerBound * g.w + xr.lowerBound
                                        for j in 0..<c { bs[j] = first }
                                        for iy in ys {
                                            for ix in xr {
                                                let pos = iy * g.w + ix
                                                let src = xn + pos * c
                                                for j in 0..<c where src[j] > xn[bs[j] * c + j] { bs[j] = pos }
                                            }
                                        }
                                        for j in 0..<c { dn[bs[j] * c + j] += go[j] }
                                    } else {
                                        let inv = 1 / Float(ys.count * xr.count)
                                        for iy in ys {
                                            for ix in xr {
                                                let dst = dn + (iy * g.w + ix) * c
                                                for j in 0..<c { dst[j] += go[j] * inv }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return ([Batch(rows: x.rows, shape: x.shape, data: dx)], [:])
    }
}
