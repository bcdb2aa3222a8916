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
    static func gather(_ x: UnsafePointer<Float>, _ g: ConvGeometry, groups: Int, range: Range<Int>,
                       into col: UnsafeMutablePointer<Float>) {
        let taps = g.kh * g.kw, cg = g.c / groups, k = width(g), per = g.outPositions, sample = g.inPositions * g.c
        for q in range {
            let n = q / per, o = q % per, oy = o / g.ow, ox = o % g.ow
            let row = col + (q - range.lowerBound) * k, xn = x + n * sample
            if !inside(g, oy, ox) { row.update(repeating: 0, count: k) }
            g.forEachTap(oy, ox) { tap, pos in
                let src = xn + pos * g.c
                if groups == 1 {
                    (row + tap * g.c).update(from: src, count: g.c)
                } else {
                    for gi in 0..<groups { (row + (gi * taps + tap) * cg).update(from: src + gi * cg, count: cg) }
                }
            }
        }
    }

    /// `dx += Pᵀ-scatter of dcol`: adds patch-row gradients `dcol`
    /// (`range.count × width`) back onto the input positions they were read from.
    static func scatter(_ dcol: UnsafePointer<Float>, _ g: ConvGeometry, groups: Int, range: Range<Int>,
                        into dx: UnsafeMutablePointer<Float>) {
        let taps = g.kh * g.kw, cg = g.c / groups, k = width(g), per = g.outPositions, sample = g.inPositions * g.c
        for q in range {
            let n = q / per, o = q % per, oy = o / g.ow, ox = o % g.ow
            let row = dcol + (q - range.lowerBound) * k, dn = dx + n * sample
            g.forEachTap(oy, ox) { tap, pos in
                let dst = dn + pos * g.c
                for gi in 0..<groups {
                    let s = row + (gi * taps + tap) * cg, d = dst + gi * cg
                    for ci in 0..<cg { d[ci] += s[ci] }
                }
            }
        }
    }

    /// True when every tap of output position `(oy, ox)` lies inside the input.
    @inline(__always)
    static func inside(_ g: ConvGeometry, _ oy: Int, _ ox: Int) -> Bool {
        let y0 = oy * g.sh - g.top, x0 = ox * g.sw - g.left
        return y0 >= 0 && x0 >= 0 && y0 + (g.kh - 1) * g.dh < g.h && x0 + (g.kw - 1) * g.dw < g.w
    }
}
