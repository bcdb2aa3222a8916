import CBLAS

/// `C = alpha · op(A) · op(B) + beta · C`, row-major, through `cblas_sgemm`;
/// `op(X)` is `Xᵀ` when the flag is set. A no-op when any size is zero.
@inline(__always)
func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0, k > 0 else {
        if m > 0, n > 0, beta == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = 0 } }
        }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
        beta, c, blasint(ldc))
}

/// `C (+)= op(A) · op(B)` on arrays; `beta` 0 overwrites, 1 accumulates.
@inline(__always)
func gemm(
    _ a: [Float], transA: Bool, _ b: [Float], transB: Bool, m: Int, n: Int, k: Int,
    lda: Int, ldb: Int, into c: inout [Float], beta: Float
) {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                guard let ra = pa.baseAddress, let rb = pb.baseAddress, let rc = pc.baseAddress else { return }
                gemm(
                    transA: transA, transB: transB, m: m, n: n, k: k, a: ra, lda: lda, b: rb, ldb: ldb,
                    beta: beta, c: rc, ldc: n)
            }
        }
    }
}

/// `C += op(A) · op(B)` in double precision (row-major, `cblas_dgemm`): the
/// Fisher's sums over rows, whose order must not change them beyond 1e-15.
@inline(__always)
func dgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int, c: UnsafeMutablePointer<Double>, ldc: Int
) {
    guard m > 0, n > 0, k > 0 else { return }
    cblas_dgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), 1, c, blasint(ldc))
}
