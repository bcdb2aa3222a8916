import Foundation

/// A batch of float32 samples: `rows` samples of one per-sample `shape`,
/// stored batch-first in C order (`data.count == rows × shape.product`).
public struct Batch: Sendable, Equatable {
    /// Samples in the batch.
    public var rows: Int
    /// The shape of one sample (batch axis excluded).
    public var shape: [Int]
    /// The values, sample after sample, each in C order.
    public var data: [Float]

    /// A batch over `data`; `data` must hold `rows × shape.product` values.
    public init(rows: Int, shape: [Int], data: [Float]) {
        self.rows = rows
        self.shape = shape
        self.data = data
    }

    /// An empty batch of no rows, scalar samples.
    public init() { self.init(rows: 0, shape: [], data: []) }

    /// A batch of zeros.
    public static func zeros(rows: Int, shape: [Int]) -> Batch {
        Batch(rows: rows, shape: shape, data: [Float](repeating: 0, count: rows * shape.reduce(1, *)))
    }

    /// Values per sample, `Π shape`.
    public var width: Int { shape.reduce(1, *) }

    /// The size of the last axis (1 for scalar samples).
    var lastAxis: Int { shape.last ?? 1 }

    /// Positions per sample before the last axis: `width / lastAxis`.
    var positions: Int { lastAxis > 0 ? width / lastAxis : 0 }

    /// Reshapes this batch for `rows` samples of `shape`, keeping the storage
    /// (contents unspecified where it grows).
    mutating func resize(rows: Int, shape: [Int]) {
        self.rows = rows
        self.shape = shape
        Buffers.resize(&data, rows * shape.reduce(1, *))
    }

    /// Sizes this batch for `rows` samples of `base` with its last axis
    /// replaced by `last`, keeping the storage; a new shape array is made
    /// only when the shape changes.
    mutating func resize(rows: Int, like base: [Int], last: Int) {
        self.rows = rows
        var same = shape.count == max(base.count, 1) && shape.last == last
        if same {
            for i in 0..<(base.count - 1) where shape[i] != base[i] {
                same = false
                break
            }
        }
        if !same { shape = Array(base.dropLast()) + [last] }
        Buffers.resize(&data, rows * shape.reduce(1, *))
    }

    /// This batch made a copy of `source` in its own storage (a value never
    /// shares storage with another, so writing either later copies nothing).
    mutating func copy(from source: Batch) {
        rows = source.rows
        if shape != source.shape { shape = source.shape }
        Buffers.copy(source.data, into: &data)
    }
}

/// Buffers reused across batches: resized, never reallocated when the size repeats.
enum Buffers {
    /// Makes `a` hold `n` elements, keeping its storage (contents unspecified past the old count).
    @inline(__always) static func resize(_ a: inout [Float], _ n: Int) {
        if a.count > n {
            a.removeLast(a.count - n)
        } else if a.count < n {
            a.append(contentsOf: repeatElement(0, count: n - a.count))
        }
    }

    /// `dst[r·width + j] = row[j]` for `r < rows`, `j < width`: a bias set on every row.
    /// Eight columns at a time held in a register and stored down the rows, not a
    /// `memcpy` call per row (rows here are a few dozen floats).
    static func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, with row: UnsafePointer<Float>, width: Int) {
        var j = 0
        while j + 8 <= width {
            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
            var d = UnsafeMutableRawPointer(dst + j)
            for _ in 0..<rows {
                d.storeBytes(of: v, as: SIMD8<Float>.self)
                d += width &* 4
            }
            j += 8
        }
        while j < width {
            let v = row[j]
            var d = dst + j
            for _ in 0..<rows {
                d.pointee = v
                d += width
            }
            j += 1
        }
    }

    /// `dst ← src`, reusing `dst`'s storage.
    @inline(__always) static func copy(_ src: [Float], into dst: inout [Float]) {
        resize(&dst, src.count)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                guard let sb = s.baseAddress, let db = d.baseAddress else { return }
                db.update(from: sb, count: s.count)
            }
        }
    }

    /// `dst += src` element-wise; the two have one length.
    @inline(__always) static func add(_ src: [Float], into dst: inout [Float]) {
        precondition(src.count == dst.count, "adding \(src.count) values into \(dst.count)")
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                guard let sb = s.baseAddress, let db = d.baseAddress else { return }
                for i in 0..<s.count { db[i] += sb[i] }
            }
        }
    }

    /// The transpose of a row-major `rows × cols` matrix (a kernel stored
    /// out×in read in×out, and back).
    static func transpose(_ m: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m.count)
        guard m.count >= rows * cols else { return out }
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = m[r * cols + c] } }
        return out
    }
}
