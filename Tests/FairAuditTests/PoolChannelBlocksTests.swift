import Foundation
import Testing

@testable import FairAudit

/// Max and average pooling reduce four channels at a time, with an
/// overlapping last block when the channel count is not a multiple of four
/// (``PoolOp/reduceBlocks(_:_:c:max:into:)``): against the definition
/// computed cell by cell (the window's cells inside the input; their mean
/// counts only those), within 1e-6 relative for the mean, exactly for the max.
struct PoolChannelBlocksTests {
    struct Case: CustomStringConvertible, Sendable {
        var kind: PoolOp.Kind
        var channels: Int
        var window = [2, 2]
        var strides = [2, 2]
        var padding: SpatialPadding = .valid
        var description: String {
            "\(kind) \(channels) channels, window \(window) strides \(strides) \(padding == .same ? "same" : "valid")"
        }
    }

    static let cases: [Case] = [4, 5, 6, 7, 9, 3].flatMap { c in
        [PoolOp.Kind.max, .average].flatMap { k in
            [
                Case(kind: k, channels: c),
                Case(kind: k, channels: c, window: [3, 3], strides: [2, 2], padding: .same),
                Case(kind: k, channels: c, window: [4, 4], strides: [4, 4]),
                Case(kind: k, channels: c, window: [3, 2], strides: [1, 2], padding: .same),
            ]
        }
    }

    @Test(arguments: cases)
    func poolingMatchesTheDefinition(_ c: Case) throws {
        let (h, w, rows) = (7, 9, 3)
        let options = SpatialOptions(rank: 2, window: c.window, strides: c.strides, padding: c.padding)
        let op = PoolOp(kind: c.kind, options: options)
        var rng = SplitMix64(seed: UInt64(c.channels))
        let x = (0..<rows * h * w * c.channels).map { _ in Float(rng.next() % 20_001) / 1000 - 10 }
        var out = Batch()
        var cache = LayerCache()
        op.forward([Batch(rows: rows, shape: [h, w, c.channels], data: x)], LayerParams(), output: &out, cache: &cache)
        let g = try ConvGeometry(shape: [h, w, c.channels], options: options)
        #expect(out.shape == [g.oh, g.ow, c.channels])
        var worst: Float = 0
        for n in 0..<rows {
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    for j in 0..<c.channels {
                        var cells: [Float] = []
                        for ky in 0..<g.kh {
                            for kx in 0..<g.kw {
                                let iy = oy * g.sh - g.top + ky
                                let ix = ox * g.sw - g.left + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                cells.append(x[((n * h + iy) * w + ix) * c.channels + j])
                            }
                        }
                        let want =
                            c.kind == .max
                            ? (cells.max() ?? 0) : Float(cells.map(Double.init).reduce(0, +) / Double(cells.count))
                        let got = out.data[((n * g.oh + oy) * g.ow + ox) * c.channels + j]
                        worst = max(worst, abs(got - want) / max(1, abs(want)))
                    }
                }
            }
        }
        #expect(worst <= (c.kind == .max ? 0 : 1e-6), "largest difference \(worst)")
    }
}
