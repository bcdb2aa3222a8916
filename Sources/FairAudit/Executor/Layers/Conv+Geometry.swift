import Foundation

/// Where the windows of a convolution or pooling layer fall on a
/// channels-last sample, with 1-D layers seen as 2-D of height 1.
///
/// Output position `(oy, ox)` reads input rows `iy = oy·sh − top + ky·dh`
/// and columns `ix = ox·sw − left + kx·dw` for window taps `(ky, kx)`;
/// taps outside the input read zeros (convolution) or are skipped (pooling).
struct ConvGeometry: Equatable {
    var h, w, c: Int
    var kh, kw: Int
    var sh, sw: Int
    var dh, dw: Int
    var top, left: Int
    var oh, ow: Int

    /// Input positions per sample.
    var inPositions: Int { h * w }
    /// Output positions per sample.
    var outPositions: Int { oh * ow }

    /// The geometry of `options` (window, strides, dilation, padding) on a
    /// per-sample channels-last `shape` (`(T, C)` for rank 1, `(H, W, C)`
    /// for rank 2); throws naming what does not fit.
    init(shape: [Int], options o: SpatialOptions, window: [Int]? = nil) throws {
        guard shape.count == o.rank + 1 else {
            throw ShapeError(
                "takes samples of \(o.rank + 1) axes (\(o.rank == 1 ? "steps" : "height, width"), channels), got shape \(shape)"
            )
        }
        let win = window ?? o.window
        guard win.count == o.rank, o.strides.count == o.rank, o.dilation.count == o.rank,
            (win + o.strides + o.dilation).allSatisfy({ $0 >= 1 })
        else {
            throw ShapeError(
                "has a window \(win), strides \(o.strides) or dilation \(o.dilation) that is not \(o.rank) positive sizes"
            )
        }
        let two = o.rank == 1 ? [1] + shape : shape
        let k = o.rank == 1 ? [1] + win : win
        let s = o.rank == 1 ? [1] + o.strides : o.strides
        let d = o.rank == 1 ? [1] + o.dilation : o.dilation
        (h, w, c) = (two[0], two[1], two[2])
        (kh, kw, sh, sw, dh, dw) = (k[0], k[1], s[0], s[1], d[0], d[1])
        var pads: [[Int]]
        let eff = [(kh - 1) * dh + 1, (kw - 1) * dw + 1]
        let sizes = [h, w]
        let steps = [sh, sw]
        switch o.padding {
        case .valid: pads = [[0, 0], [0, 0]]
        case .causal: pads = [[0, 0], [eff[1] - 1, 0]]
        case .explicit(let given):
            guard given.count == o.rank, given.allSatisfy({ $0.count == 2 && $0[0] >= 0 && $0[1] >= 0 }) else {
                throw ShapeError("has padding \(given), not (before, after) for each of \(o.rank) axes")
            }
            pads = o.rank == 1 ? [[0, 0]] + given : given
        case .same:
            pads = (0..<2).map { a in
                let out = (sizes[a] + steps[a] - 1) / steps[a]
                let total = max((out - 1) * steps[a] + eff[a] - sizes[a], 0)
                return [total / 2, total - total / 2]
            }
        }
        (top, left) = (pads[0][0], pads[1][0])
        var outs: [Int] = []
        for a in 0..<2 {
            let padded: Int = sizes[a] + pads[a][0] + pads[a][1]
            guard padded >= eff[a] else {
                let window: [Int] = o.rank == 1 ? [eff[1]] : eff
                throw ShapeError("has a window of \(window) that does not fit its input \(Array(shape.dropLast()))")
            }
            outs.append((padded - eff[a]) / steps[a] + 1)
        }
        (oh, ow) = (outs[0], outs[1])
    }

    /// The per-sample output shape for `channels` output channels.
    func outputShape(rank: Int, channels: Int) -> [Int] {
        rank == 1 ? [ow, channels] : [oh, ow, channels]
    }

    /// Calls `body(tap, iy·w + ix)` for each window tap of output position
    /// `(oy, ox)` that falls inside the input (`tap = ky·kw + kx`).
    @inline(__always)
    func forEachTap(_ oy: Int, _ ox: Int, _ body: (Int, Int) -> Void) {
        let y0 = oy * sh - top
        let x0 = ox * sw - left
        for ky in 0..<kh {
            let iy = y0 + ky * dh
            guard iy >= 0, iy < h else { continue }
            for kx in 0..<kw {
                let ix = x0 + kx * dw
                guard ix >= 0, ix < w else { continue }
                body(ky * kw + kx, iy * w + ix)
            }
        }
    }
}
