import Foundation

/// Where each element of a sample falls for a layer that works along some
/// axes: `param[i]` indexes a parameter over those axes (γ, β, μ, σ²) and
/// `group[i]` the vector over those axes that `i` belongs to (the other
/// axes' index), for samples of `shape`.
struct AxisMap {
    var param: [Int]
    var group: [Int]
    var paramCount: Int
    var groupCount: Int

    /// Per-sample axes from Keras axes, which count the batch axis
    /// (`-1` the last, `1` the first per-sample axis); nil when out of range.
    static func sampleAxes(_ keras: [Int], rank: Int) -> [Int]? {
        var out: [Int] = []
        for a in keras {
            let full = a < 0 ? rank + 1 + a : a
            guard full >= 1, full <= rank else { return nil }
            out.append(full - 1)
        }
        return Set(out).count == out.count ? out.sorted() : nil
    }

    /// The map for samples of `shape` along per-sample `axes`.
    init(shape: [Int], axes: [Int]) {
        let n = shape.reduce(1, *)
        let kept = Set(axes)
        paramCount = axes.map { shape[$0] }.reduce(1, *)
        groupCount = paramCount > 0 ? n / paramCount : 0
        param = [Int](repeating: 0, count: n)
        group = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            var p = 0
            var g = 0
            for (d, size) in shape.enumerated() {
                if kept.contains(d) { p = p * size + index[d] } else { g = g * size + index[d] }
            }
            param[i] = p
            group[i] = g
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }

    /// True when the axes are exactly the trailing ones in order, so
    /// `param[i] = i mod paramCount` and `group[i] = i / paramCount`.
    static func isTrailing(_ axes: [Int], rank: Int) -> Bool {
        axes == Array((rank - axes.count)..<rank)
    }
}
