import Foundation

/// Converts array bytes between Fortran (column-major) and C (row-major) order.
enum NPYOrder {
    /// Reorders `data` (elements of `size` bytes, dimensions `shape`):
    /// Fortran → C when `toC`, else C → Fortran. Element (i₀,…,iₙ₋₁) sits at
    /// Σ iₖ·Πⱼ₍ⱼ₌ₖ₊₁…ₙ₋₁₎ sⱼ in C order and Σ iₖ·Πⱼ₍ⱼ₌₀…ₖ₋₁₎ sⱼ in Fortran order.
    static func reorder(_ data: Data, shape: [Int], size: Int, toC: Bool) -> Data {
        let count = shape.reduce(1, *)
        guard shape.count > 1, count > 1, data.count >= count * size else { return data }
        var fStride = [Int](repeating: 1, count: shape.count)
        for k in 1..<shape.count { fStride[k] = fStride[k - 1] * shape[k - 1] }
        var out = Data(count: count * size)
        data.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                switch size {
                case 1: permute(s, d, UInt8.self, shape, fStride, count, toC)
                case 2: permute(s, d, UInt16.self, shape, fStride, count, toC)
                case 4: permute(s, d, UInt32.self, shape, fStride, count, toC)
                default: permute(s, d, UInt64.self, shape, fStride, count, toC)
                }
            }
        }
        return out
    }

    /// Walks C-order positions with an odometer, tracking the Fortran offset.
    private static func permute<T>(
        _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _: T.Type, _ shape: [Int],
        _ fStride: [Int], _ count: Int, _ toC: Bool
    ) {
        let s = src.assumingMemoryBound(to: T.self)
        let d = dst.assumingMemoryBound(to: T.self)
        let n = shape.count
        let last = shape[n - 1]
        let lastStride = fStride[n - 1]
        var index = [Int](repeating: 0, count: n)
        var f = 0
        var c = 0
        while c < count {
            // The innermost (last) axis runs contiguously in C order.
            if toC {
                for j in 0..<last { d[c + j] = s[f + j * lastStride] }
            } else {
                for j in 0..<last { d[f + j * lastStride] = s[c + j] }
            }
            c += last
            var k = n - 2
            while k >= 0 {
                index[k] += 1
                f += fStride[k]
                if index[k] < shape[k] { break }
                f -= fStride[k] * shape[k]
                index[k] = 0
                k -= 1
            }
            if k < 0 { break }
        }
    }
}
