import Foundation

/// The patch matrix of a convolution and its adjoint, a chunk of output
/// positions at a time, so a batch never holds more than one chunk of patches.
///
/// Row `q` (output position `q` of the batch, sample-major) holds the
/// window of that position: column `(g·T + tap)·Cg + ci` is input channel
/// `g·Cg + ci` at window tap `tap` (`T = kh·kw` taps, `Cg = C/groups`), zero
/// where the tap falls in the padding. Each group's columns are contiguous
/// and ordered as the rows of a Keras `(kh, kw, Cg, out)` kernel, so the
/// convolution is one GEMM per group: `Z_g = P_g · K_g`.
enum Im2Col {
    /// Columns of the patch matrix: `kh·kw·C`.
    static func width(_ g: ConvGeometry) -> Int { g.kh * g.kw * g.c }

    /// Output positions per chunk: about 256 K floats of patches (1 MB),
    /// never fewer than 64 rows.
    static func chunkRows(_ g: ConvGeometry) -> Int { max(64, (1 << 18) / max(width(g), 1)) }

    /// Writes patch rows `range` (batch output positions) of input `x`
    /// (`rows × H·W·C`) into `col` (`range.count × width`).
    static func gather(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, groups: Int, range: Range<Int>,
        into col: UnsafeMutablePointer<Float>
    ) {
        guard !range.isEmpty else { return }
        if groups == 1 && g.dw == 1 {
            gatherRuns(x, g, range: range, into: col)
            return
        }
        let taps = g.kh * g.kw
        let cg = g.c / groups
        let k = width(g)
        let per = g.outPositions
        let sample = g.inPositions * g.c
        for q in range {
            let n = q / per
            let oy = q % per / g.ow
            let ox = q % per % g.ow
            let row = col + (q - range.lowerBound) * k
            let xn = x + n * sample
            if !inside(g, oy, ox) { row.update(repeating: 0, count: k) }
            g.forEachTap(oy, ox) { tap, pos in
                let src = xn + pos * g.c
                if groups == 1 {
                    copy(src, row + tap * g.c, g.c)
                } else {
                    for gi in 0..<groups { copy(src + gi * cg, row + (gi * taps + tap) * cg, cg) }
                }
            }
        }
    }

    /// ``gather`` without groups or column dilation, one output row at a
    /// time: each window row is a run of `kw·C` contiguous input values,
    /// copied whole for the columns whose window lies inside the input
    /// (worked out once per geometry), tap by tap (zeros in the padding) at
    /// the borders; window rows in the padding are zero runs.
    static func gatherRuns(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, range: Range<Int>, into col: UnsafeMutablePointer<Float>
    ) {
        let c = g.c
        let k = width(g)
        let per = g.outPositions
        let sample = g.inPositions * c
        let run = g.kw * c
        // Columns ox with 0 ≤ ox·sw − left and ox·sw − left + kw ≤ w.
        let lo = min(g.ow, (g.left + g.sw - 1) / g.sw)
        let room = g.w - g.kw + g.left
        let hi = max(lo, room >= 0 ? min(g.ow, room / g.sw + 1) : 0)
        var q = range.lowerBound
        while q < range.upperBound {
            let n = q / per
            let oy = q % per / g.ow
            let ox0 = q % per % g.ow
            let ox1 = min(g.ow, ox0 + range.upperBound - q)
            let first = col + (q - range.lowerBound) * k
            let xn = x + n * sample
            let a = min(max(ox0, lo), ox1)
            let b = max(min(ox1, hi), a)
            for ky in 0..<g.kh {
                let iy = oy * g.sh - g.top + ky * g.dh
                let rowStart = first + ky * run
                guard iy >= 0, iy < g.h else {
                    for ox in ox0..<ox1 { (rowStart + (ox - ox0) * k).update(repeating: 0, count: run) }
                    continue
                }
                let src = xn + iy * g.w * c
                for ox in a..<b { copy(src + (ox * g.sw - g.left) * c, rowStart + (ox - ox0) * k, run) }
                for ox in ox0..<ox1 where ox < a || ox >= b {
                    let dst = rowStart + (ox - ox0) * k
                    let x0 = ox * g.sw - g.left
                    for kx in 0..<g.kw {
                        let ix = x0 + kx
                        if ix >= 0, ix < g.w {
                            copy(src + ix * c, dst + kx * c, c)
                        } else {
                            (dst + kx * c).update(repeating: 0, count: c)
                        }
                    }
                }
            }
            q += ox1 - ox0
        }
    }

    /// `count` floats from `src` to `dst`: a plain loop for short runs, `memcpy` for long ones.
    @inline(__always)
    static func copy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        if count <= 32 { for j in 0..<count { dst[j] = src[j] } } else { dst.update(from: src, count: count) }
    }

    /// `dx += Pᵀ-scatter of dcol`: adds patch-row gradients `dcol`
    /// (`range.count × width`) back onto the input positions they were read from.
    static func scatter(
        _ dcol: UnsafePointer<Float>, _ g: ConvGeometry, groups: Int, range: Range<Int>,
        into dx: UnsafeMutablePointer<Float>
    ) {
        let taps = g.kh * g.kw
        let cg = g.c / groups
        let k = width(g)
        let per = g.outPositions
        let sample = g.inPositions * g.c
        for q in range {
            let n = q / per
            let o = q % per
            let oy = o / g.ow
            let ox = o % g.ow
            let row = dcol + (q - range.lowerBound) * k
            let dn = dx + n * sample
            g.forEachTap(oy, ox) { tap, pos in
                let dst = dn + pos * g.c
                for gi in 0..<groups {
                    let s = row + (gi * taps + tap) * cg
                    let d = dst + gi * cg
                    for ci in 0..<cg { d[ci] += s[ci] }
                }
            }
        }
    }

    /// True when every tap of output position `(oy, ox)` lies inside the input.
    @inline(__always)
    static func inside(_ g: ConvGeometry, _ oy: Int, _ ox: Int) -> Bool {
        let y0 = oy * g.sh - g.top
        let x0 = ox * g.sw - g.left
        return y0 >= 0 && x0 >= 0 && y0 + (g.kh - 1) * g.dh < g.h && x0 + (g.kw - 1) * g.dw < g.w
    }
}
