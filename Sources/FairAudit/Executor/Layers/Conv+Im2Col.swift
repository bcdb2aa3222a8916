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

    /// Output positions per chunk: about 64 K floats of patches (256 KB,
    /// so a chunk stays in the L2 cache between its gather and its GEMM),
    /// never fewer than 64 rows.
    static func chunkRows(_ g: ConvGeometry) -> Int { max(64, (1 << 16) / max(width(g), 1)) }

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
                for ox in ox0..<a { border(src, g, ox: ox, into: rowStart + (ox - ox0) * k) }
                for ox in b..<ox1 { border(src, g, ox: ox, into: rowStart + (ox - ox0) * k) }
            }
            q += ox1 - ox0
        }
    }

    /// The input extent a padded copy needs: `hp × wp` positions per sample,
    /// the padding before each axis (`top`, `left`) included, enough rows
    /// and columns after it for the last window (zeros past the input).
    static func paddedExtent(_ g: ConvGeometry) -> (hp: Int, wp: Int) {
        (
            max(g.top + g.h, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1),
            max(g.left + g.w, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1)
        )
    }

    /// True when the input needs no padded copy: no padding before either
    /// axis and every window inside it (``paddedExtent(_:)`` is the input's).
    static func needsNoPadding(_ g: ConvGeometry) -> Bool {
        let (hp, wp) = paddedExtent(g)
        return g.top == 0 && g.left == 0 && hp == g.h && wp == g.w
    }

    /// Copies `rows` samples of `x` (`h × w × c` each) into `xp` laid out
    /// `hp × wp × c` (``paddedExtent(_:)``), the input at row `top`, column
    /// `left`, zeros around it: a window's columns are then one contiguous
    /// run whatever its position, and no tap needs a bounds check.
    static func pad(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, rows: Int, into xp: UnsafeMutablePointer<Float>
    ) {
        let (hp, wp) = paddedExtent(g)
        let c = g.c
        let line = wp * c
        let right = (wp - g.left - g.w) * c
        for n in 0..<rows {
            let src = x + n * g.h * g.w * c
            let dst = xp + n * hp * line
            dst.update(repeating: 0, count: g.top * line)
            for iy in 0..<g.h {
                let d = dst + (g.top + iy) * line
                d.update(repeating: 0, count: g.left * c)
                (d + g.left * c).update(from: src + iy * g.w * c, count: g.w * c)
                (d + (g.left + g.w) * c).update(repeating: 0, count: right)
            }
            (dst + (g.top + g.h) * line).update(repeating: 0, count: (hp - g.top - g.h) * line)
        }
    }

    /// ``gather`` from a padded input (``pad``; the input itself when
    /// ``needsNoPadding(_:)``) of one group without column dilation: each of
    /// a window's `kh` rows is a run of `kw·C` contiguous values, copied
    /// whole with no border case, a window row at a time down the output
    /// columns of one output row (fixed strides, no division per position).
    static func gatherPadded(
        _ xp: UnsafePointer<Float>, _ g: ConvGeometry, range: Range<Int>, into col: UnsafeMutablePointer<Float>
    ) {
        let (hp, wp) = paddedExtent(g)
        let c = g.c
        let k = width(g)
        let run = g.kw * c
        let down = g.dh * wp * c
        let across = g.sw * c
        let per = g.outPositions
        var q = range.lowerBound
        while q < range.upperBound {
            let n = q / per
            let oy = q % per / g.ow
            let ox0 = q % per % g.ow
            let count = min(g.ow - ox0, range.upperBound - q)
            let first = col + (q - range.lowerBound) * k
            let src = xp + ((n * hp + oy * g.sh) * wp + ox0 * g.sw) * c
            for ky in 0..<g.kh {
                var s = src + ky * down
                var d = first + ky * run
                for _ in 0..<count {
                    copyRun(s, d, run)
                    s += across
                    d += k
                }
            }
            q += count
        }
    }

    /// `count` floats from `src` to `dst` in 8- and 4-lane moves, the last
    /// four (overlapping the ones before) when `count` is not a multiple of
    /// four: no scalar tail and no library call for the short runs of a window row.
    @inline(__always)
    static func copyRun(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        guard count >= 4 else {
            for j in 0..<count { dst[j] = src[j] }
            return
        }
        let s = UnsafeRawPointer(src)
        let d = UnsafeMutableRawPointer(dst)
        var j = 0
        while j + 8 <= count {
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self), toByteOffset: 4 * j,
                as: SIMD8<Float>.self)
            j += 8
        }
        if j + 4 <= count {
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: 4 * j, as: SIMD4<Float>.self), toByteOffset: 4 * j,
                as: SIMD4<Float>.self)
            j += 4
        }
        if j < count {
            let t = 4 * (count - 4)
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: t, as: SIMD4<Float>.self), toByteOffset: t, as: SIMD4<Float>.self)
        }
    }

    /// One window row of output column `ox` at a border: input row `src`
    /// tap by tap, zeros where a tap falls in the padding.
    @inline(__always)
    static func border(_ src: UnsafePointer<Float>, _ g: ConvGeometry, ox: Int, into dst: UnsafeMutablePointer<Float>) {
        let x0 = ox * g.sw - g.left
        for kx in 0..<g.kw {
            let ix = x0 + kx
            if ix >= 0, ix < g.w {
                copy(src + ix * g.c, dst + kx * g.c, g.c)
            } else {
                (dst + kx * g.c).update(repeating: 0, count: g.c)
            }
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
