import COpenBLAS

/// The one place lorad calls OpenBLAS. Every matrix is row-major F32, shapes
/// in PyTorch order; the comments give each operand's shape.
///
/// Why wrappers: call sites then read as the math (`y = x·Wᵀ`) instead of
/// eleven positional CBLAS arguments, and the thread-count policy lives here.
public enum BLAS {
    /// Sizes OpenBLAS's thread pool only; `Compute.setThreads` is the one
    /// caller (it sizes `ComputePool.shared` to match).
    static func setThreadCount(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// C = alpha · A · Bᵀ + beta · C
    /// A: (m, k) row-major, lda = k; B: (n, k) row-major (a PyTorch weight
    /// (out, in)), ldb = k; C: (m, n) row-major, ldc = n.
    /// This is `y = x · Wᵀ` for a batch of m rows.
    @inline(__always)
    public static func gemmABt(
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda ?? k), b, blasint(ldb ?? k),
                    beta, c, blasint(ldc ?? n))
    }

    /// C = alpha · A · B + beta · C
    /// A: (m, k) row-major; B: (k, n) row-major; C: (m, n) row-major.
    @inline(__always)
    public static func gemmAB(
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda ?? k), b, blasint(ldb ?? n),
                    beta, c, blasint(ldc ?? n))
    }

    /// y = alpha · W · x + beta · y
    /// W: (out, in) row-major; x: (in); y: (out). gemv streams W once near
    /// the memory limit, where sgemm with m = 1 is 4× slower (6 GFLOP/s on 2
    /// vCPUs, OpenBLAS 0.3.21). Decode now runs `BatchedGEMV` for one row
    /// too; `lorad-bench model --kernels` times the two side by side.
    @inline(__always)
    public static func gemv(
        out: Int, in inFeatures: Int,
        alpha: Float = 1, w: UnsafePointer<Float>, ldw: Int? = nil,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans,
                    blasint(out), blasint(inFeatures),
                    alpha, w, blasint(ldw ?? inFeatures), x, 1, beta, y, 1)
    }
}
