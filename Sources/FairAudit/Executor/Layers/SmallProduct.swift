import Foundation

/// A strided view of a float matrix: element `(i, j)` at `base[i·rowStride + j·columnStride]`
/// (a transposed view swaps the strides; nothing is copied).
struct MatrixView {
    var base: UnsafePointer<Float>
    var rowStride: Int
    var columnStride: Int

    init(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int = 1) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    init(_ base: UnsafeMutablePointer<Float>, rowStride: Int, columnStride: Int = 1) {
        self.init(UnsafePointer(base), rowStride: rowStride, columnStride: columnStride)
    }

    @inline(__always) subscript(i: Int, j: Int) -> Float { base[i * rowStride + j * columnStride] }
}

/// Matrix products too small for BLAS to pay off (a call costs more in
/// dispatch and packing than a 16×16×8 product's arithmetic): each output
/// row is built 8 (then 4, then 1) columns at a time in registers, summing
/// over the inner dimension, so nothing is stored until a block is done
/// (accumulating in memory stalls on every store-to-load round trip).
enum SmallProduct {
    /// `out[i, e] = α Σ_{j<n} a[i, j] b[j, e]` for `i < m`, `e < width`
    /// (`b` rows `ldb` apart, `out` rows `ldo` apart); with `accumulate`, added to `out`.
    static func combine(
        _ a: MatrixView, m: Int, n: Int, alpha: Float = 1, _ b: UnsafePointer<Float>, ldb: Int, width w: Int,
        into out: UnsafeMutablePointer<Float>, ldo: Int, accumulate: Bool = false
    ) {
        for i in 0..<m {
            let o = out + i * ldo
            let ai = a.base + i * a.rowStride
            let cs = a.columnStride
            var e = 0
            while e + 8 <= w {
                var acc = SIMD8<Float>(repeating: 0)
                var bj = b + e
                for j in 0..<n {
                    acc += ai[j * cs] * UnsafeRawPointer(bj).loadUnaligned(as: SIMD8<Float>.self)
                    bj += ldb
                }
                store(acc * alpha, to: o + e, accumulate: accumulate)
                e += 8
            }
            while e + 4 <= w {
                var acc = SIMD4<Float>(repeating: 0)
                var bj = b + e
                for j in 0..<n {
                    acc += ai[j * cs] * UnsafeRawPointer(bj).loadUnaligned(as: SIMD4<Float>.self)
                    bj += ldb
                }
                store(acc * alpha, to: o + e, accumulate: accumulate)
                e += 4
            }
            while e < w {
                var acc: Float = 0
                for j in 0..<n { acc += ai[j * cs] * b[j * ldb + e] }
                o[e] = accumulate ? o[e] + alpha * acc : alpha * acc
                e += 1
            }
        }
    }

    @inline(__always) private static func store<V: SIMD>(_ v: V, to p: UnsafeMutablePointer<Float>, accumulate: Bool)
    where V.Scalar == Float {
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: V.self) + v : v, as: V.self)
    }
}
