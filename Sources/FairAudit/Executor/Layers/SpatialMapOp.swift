import Foundation

/// Keras `ZeroPadding1D/2D`, `Cropping1D/2D` and `UpSampling1D/2D`
/// (nearest) on channels-last samples: every output position copies the
/// channels of one input position, or is zero (padding):
/// padding `y[i] = x[i − before]`, cropping `y[i] = x[i + before]`,
/// up-sampling `y[i] = x[⌊i / size⌋]`, per spatial axis.
struct SpatialMapOp: LayerOp {
    /// What the layer does to the spatial axes.
    enum Kind: String, Sendable { case zeroPadding, cropping, upSampling }
    var kind: Kind
    /// Spatial axes (1 or 2).
    var rank: Int
    /// `(before, after)` per spatial axis (padding, cropping).
    var amounts: [[Int]]
    /// Repeat factor per spatial axis (up-sampling).
    var size: [Int]

    var className: String {
        switch kind {
        case .zeroPadding: "ZeroPadding\(rank)D"
        case .cropping: "Cropping\(rank)D"
        case .upSampling: "UpSampling\(rank)D"
        }
    }
    var roles: [ParameterRole] { [] }

    func outputShape(_ inputs: [[Int]], params: [ParameterRole: [Int]]) throws -> [Int] {
        try ShapeError.inputs(inputs, 1)
        let s = inputs[0]
        guard s.count == rank + 1 else { throw ShapeError("takes samples of \(rank + 1) axes, got shape \(s)") }
        guard amounts.count == rank, size.count == rank,
            amounts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0 >= 0 } }),
            size.allSatisfy({ $0 >= 1 })
        else { throw ShapeError("has amounts \(amounts) or size \(size) that do not fit \(rank) axes") }
        var out = s
        for a in 0..<rank {
            switch kind {
            case .zeroPadding: out[a] = s[a] + amounts[a][0] + amounts[a][1]
            case .cropping:
                out[a] = s[a] - amounts[a][0] - amounts[a][1]
                guard out[a] > 0 else { throw ShapeError("crops \(amounts[a]) from an axis of \(s[a])") }
            case .upSampling: out[a] = s[a] * size[a]
            }
        }
        return out
    }

    /// Output (h, w) and, for each output position, its input position or −1.
    func sources(_ shape: [Int]) -> (out: [Int], map: [Int])? {
        guard let out = try? outputShape([shape], params: [:]) else { return nil }
        let two = rank == 1 ? [1] + shape : shape
        let o2 = rank == 1 ? [1] + out : out
        let amt = rank == 1 ? [[0, 0]] + amounts : amounts
        let sz = rank == 1 ? [1] + size : size
        func source(_ i: Int, _ a: Int) -> Int {
            switch kind {
            case .zeroPadding:
                let j = i - amt[a][0]
                return j >= 0 && j < two[a] ? j : -1
            case .cropping: return i + amt[a][0]
            case .upSampling: return i / sz[a]
            }
        }
        var map: [Int] = []
        map.reserveCapacity(o2[0] * o2[1])
        for y in 0..<o2[0] {
            let sy = source(y, 0)
            for x in 0..<o2[1] {
                let sx = source(x, 1)
                map.append(sy < 0 || sx < 0 ? -1 : sy * two[1] + sx)
            }
        }
        return (out, map)
    }

    func forward(_ inputs: [Batch], _ p: LayerParams, output: inout Batch, cache: inout LayerCache) {
        let x = inputs[0]
        let c = x.lastAxis
        guard let (out, map) = sources(x.shape) else {
            output.resize(rows: 0, shape: [])
            return
        }
        output.resize(rows: x.rows, shape: out)
        let inPer = x.positions * c
        let outPer = map.count * c
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { po in
                guard let xs = px.baseAddress, let os = po.baseAddress else { return }
                for n in 0..<x.rows {
                    for (o, s) in map.enumerated() {
                        let dst = os + n * outPer + o * c
                        if s < 0 {
                            dst.update(repeating: 0, count: c)
                        } else {
                            dst.update(from: xs + n * inPer + s * c, count: c)
                        }
                    }
                }
            }
        }
    }

    /// Each output position's gradient added back onto its input position.
    func backward(
        _ gradOut: Batch, _ inputs: [Batch], _ p: LayerParams, cache: LayerCache,
        needInputs: Bool, wantParams: Bool
    ) -> (inputs: [Batch?], params: [ParameterRole: [Float]]) {
        let x = inputs[0]
        let c = x.lastAxis
        guard needInputs, let (_, map) = sources(x.shape) else { return ([nil], [:]) }
        var dx = [Float](repeating: 0, count: x.data.count)
        let inPer = x.positions * c
        let outPer = map.count * c
        gradOut.data.withUnsafeBufferPointer { pd in
            dx.withUnsafeMutableBufferPointer { pdx in
                guard let ds = pd.baseAddress, let dxs = pdx.baseAddress else { return }
                for n in 0..<x.rows {
                    for (o, s) in map.enumerated() where s >= 0 {
                        let src = ds + n * outPer + o * c
                        let dst = dxs + n * inPer + s * c
                        for j in 0..<c { dst[j] += src[j] }
                    }
                }
            }
        }
        return ([Batch(rows: x.rows, shape: x.shape, data: dx)], [:])
    }
}
