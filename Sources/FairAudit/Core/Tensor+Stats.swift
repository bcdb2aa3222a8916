import Foundation

/// Summary statistics of a tensor's values, as `inspect` prints them.
///
/// `min`, `max`, `mean` and `std` are over the finite values only
/// (`std` is the population standard deviation, numpy's `ddof=0`:
/// `sqrt(Σ(x−mean)²/n)`); NaN and ±Inf are counted apart. With no finite
/// value they are all NaN.
public struct TensorStats: Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var mean: Double
    public var std: Double
    public var nanCount: Int
    public var infCount: Int
}

extension Tensor {
    /// Computes the statistics in one pass over the stored bytes, decoding
    /// `chunkElements` values at a time into one reused buffer and merging
    /// each chunk's moments into the running ones (Chan et al.), so a large
    /// or memory-mapped tensor is never converted whole.
    public func stats(chunkElements: Int = 1 << 16) throws -> TensorStats {
        let data = try rawBytes()
        guard data.count >= byteCount else {
            throw FairAuditError.truncatedTensor(name: name, expected: byteCount, found: data.count)
        }
        var n = 0.0
        var mean = 0.0
        var m2 = 0.0
        var lo = Double.infinity
        var hi = -Double.infinity
        var nan = 0
        var inf = 0
        var buffer = [Double](repeating: 0, count: Swift.max(1, Swift.min(chunkElements, elementCount)))
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var start = 0
            while start < elementCount {
                let count = Swift.min(buffer.count, elementCount - start)
                buffer.withUnsafeMutableBufferPointer { out in
                    Tensor.decode(raw, from: start, count: count, dtype: dtype, byteOrder: byteOrder, into: out)
                }
                var cn = 0.0
                var csum = 0.0
                for i in 0..<count {
                    let v = buffer[i]
                    if v.isNaN {
                        nan += 1
                        continue
                    }
                    if v.isInfinite {
                        inf += 1
                        continue
                    }
                    cn += 1
                    csum += v
                    if v < lo { lo = v }
                    if v > hi { hi = v }
                }
                if cn > 0 {
                    let cmean = csum / cn
                    var cm2 = 0.0
                    for i in 0..<count where buffer[i].isFinite { cm2 += (buffer[i] - cmean) * (buffer[i] - cmean) }
                    let delta = cmean - mean
                    let total = n + cn
                    mean += delta * cn / total
                    m2 += cm2 + delta * delta * n * cn / total
                    n = total
                }
                start += count
            }
        }
        guard n > 0 else {
            return TensorStats(min: .nan, max: .nan, mean: .nan, std: .nan, nanCount: nan, infCount: inf)
        }
        return TensorStats(min: lo, max: hi, mean: mean, std: (m2 / n).squareRoot(), nanCount: nan, infCount: inf)
    }
}
