import CKernels

/// y = x · Wᵀ for one to a few dozen rows (decode), streaming W once, with
/// W in F32, BF16 or F16 (`WeightFormat`) widened to F32 in registers and
/// F32 accumulation.
///
/// Why not sgemm: for small m OpenBLAS packs the whole weight matrix first
/// (`sgemm_incopy`), an extra read and write of W on a memory-bound step,
/// and calling gemv per row streams W m times (sgemm at m = 8 reaches
/// 45 GFLOP/s, far under the bandwidth limit). Here each weight row is
/// loaded once from memory and multiplied against every input row while it
/// sits in L1. And OpenBLAS has no 16-bit weights at all.
///
/// Implementations (`KernelPath`): C intrinsics for AVX2 and AVX-512
/// (CKernels: gemv_body.h reads W as one sequential stream per thread for
/// 1–2 rows, 1.3× the bandwidth of 4-row tiles; gemv_rows_body.h tiles 3
/// weight rows × groups of 4 input rows (AVX2) or 8 (AVX-512) from 3 rows
/// on), and the portable Swift SIMD8
/// version (`BatchedGEMV+Portable.swift`), which tiles for every row count.
public enum BatchedGEMV {
    /// Up to this many rows this kernel beats OpenBLAS's sgemm (which packs
    /// W before multiplying) on the SmolLM-135M matrices. Measured on the
    /// 2-core EPYC, 2 threads, one pass over every projection of the model
    /// (30 layers + lm_head), best of 8, same run — this kernel vs sgemm, ms:
    /// 1 row 20.9 vs 49.9; 4: 22.9 vs 88.6; 8: 27.9 vs 84.9; 12: 37.3 vs 141;
    /// 16: 46.5 vs 56.7; 24: 71.1 vs 118; 32: 71.5 vs 76.4. Past 32 the
    /// input rows outgrow L1 and sgemm's compute efficiency wins.
    public static let maxRows = 32

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ, F32 weights.
    public static func multiply(rows: Int, out: Int, in inFeatures: Int,
                                w: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                y: UnsafeMutablePointer<Float>, pool: ComputePool = .shared) {
        multiply(rows: rows, out: out, in: inFeatures, w: UnsafeRawPointer(w), format: .f32, x: x, y: y, pool: pool)
    }

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ, every matrix row-major and
    /// dense, W's elements in `format`. Splits the output rows over the
    /// pool's threads (decode needs both cores streaming weights), so each
    /// streams its own contiguous share of W; from `sharedMinRows` rows a
    /// thread done with its share takes over the others' unreached chunks
    /// (`shared`), the sums unchanged to the bit. `path` must be one of
    /// `KernelPath.available` (any other runs the portable path).
    public static func multiply(rows: Int, out: Int, in inFeatures: Int,
                                w: UnsafeRawPointer, format: WeightFormat, x: UnsafePointer<Float>,
                                y: UnsafeMutablePointer<Float>, pool: ComputePool = .shared,
                                path: KernelPath = KernelPath.active) {
        guard rows > 0, out > 0 else { return }
        let path = KernelPath.available.contains(path) ? path : .portable
        let parts = out >= 256 ? pool.threadCount : 1
        if parts == 1 {
            block(path: path, format: format, rows: rows, outRange: 0..<out, inFeatures: inFeatures,
                  outStride: out, w: w, x: x, y: y)
            return
        }
        #if arch(x86_64)
        if rows >= sharedMinRows, rows <= maxRows, path != .portable {
            shared(path: path, format: format, rows: rows, out: out, inFeatures: inFeatures, w: w, x: x, y: y,
                   lanes: parts, pool: pool)
            return
        }
        #endif
        // Each worker writes a disjoint column range of y and only reads w
        // and x, so sharing the raw pointers across the workers is safe.
        nonisolated(unsafe) let (w, x, y) = (w, x, y)
        pool.run(parts: parts) { part in
            let lo = out * part / parts, hi = out * (part + 1) / parts
            block(path: path, format: format, rows: rows, outRange: lo..<hi, inFeatures: inFeatures,
                  outStride: out, w: w, x: x, y: y)
        }
    }

    /// From this many rows the pool's threads share the output rows in
    /// chunks (`shared`) instead of taking a fixed half each. With a fixed
    /// split each projection ends when the slower thread does, and on a
    /// shared machine the two cores' speeds differ from one projection to
    /// the next: with the SmolLM-135M BF16 model at batch 8 the main thread
    /// waited for the worker ~11 % of its time. Measured with the two
    /// decoded step by step in turn (Zen 3, 2 threads, the same 8-adapter
    /// batch), static time ÷ shared time: 4 rows 1.00–1.04, 8 rows
    /// 1.01–1.06 (F16 1.02–1.09), 16 rows 1.01–1.07, 32 rows 1.04–1.10;
    /// 3 rows 0.96–1.01, near the memory bound where a chunk taken from
    /// the other thread's share is a second stream, so 3 keeps the split.
    static let sharedMinRows = 4

    /// Output rows per chunk of the shared path, a multiple of the kernel's
    /// 3-row tile so a chunk's tiles fall on the same rows whichever thread
    /// takes it (the sums then do not depend on the split). At batch 8, 24
    /// and 96 rows measured 0.99–1.03× and 0.98–1.06× against the static
    /// split where 48 gave 1.01–1.09×.
    static let chunkRows = 48

    #if arch(x86_64)
    /// `rows` (`sharedMinRows`–`maxRows`) over every output row, the pool's
    /// threads as lanes of CKernels' lorad_gemv_shared: each takes its own
    /// share of the chunks from the front, then the others' unreached ones.
    private static func shared(path: KernelPath, format: WeightFormat, rows: Int, out: Int, inFeatures n: Int,
                               w: UnsafeRawPointer, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               lanes: Int, pool: ComputePool) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { taken in
            guard let first = taken.baseAddress else { return }
            first.initialize(repeating: 0, count: lanes)
            // Each lane writes only the chunks it claims (one atomic claim
            // each) and reads w and x; the counters outlive the job, as
            // `run` returns after every part.
            nonisolated(unsafe) let (w, x, y, counters) = (w, x, y, first)
            pool.run(parts: lanes) { lane in
                sharedLane(path: path, format: format, rows: rows, out: out, inFeatures: n, w: w, x: x, y: y,
                           chunk: chunkRows, lanes: lanes, lane: lane, taken: counters)
            }
        }
    }

    /// One lane's part of a shared job; taken: the job's `lanes` claim
    /// counters, zero at its start.
    static func sharedLane(path: KernelPath, format: WeightFormat, rows: Int, out: Int, inFeatures n: Int,
                           w: UnsafeRawPointer, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           chunk: Int, lanes: Int, lane: Int, taken: UnsafeMutablePointer<Int>) {
        switch path {
        case .avx512:
            lorad_gemv_shared_avx512(format.cValue, rows, out, n, w, x, y, out, chunk, lanes, lane, taken)
        default:
            lorad_gemv_shared_avx2(format.cValue, rows, out, n, w, x, y, out, chunk, lanes, lane, taken)
        }
    }
    #endif

    /// Output rows `outRange` for all input rows, `maxRows` input rows at a time.
    static func block(path: KernelPath, format: WeightFormat, rows: Int, outRange: Range<Int>, inFeatures n: Int,
                      outStride: Int, w: UnsafeRawPointer, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard !outRange.isEmpty else { return }
        var r = 0
        while r < rows {
            let count = min(maxRows, rows - r)
            let xr = x + r * n, yr = y + r * outStride
            switch path {
            #if arch(x86_64)
            case .avx2:
                lorad_gemv_avx2(format.cValue, count, outRange.lowerBound, outRange.upperBound, n, w, xr, yr, outStride)
            case .avx512:
                lorad_gemv_avx512(format.cValue, count, outRange.lowerBound, outRange.upperBound, n, w, xr, yr, outStride)
            #endif
            default:
                switch format {
                case .f32: Portable<F32Elements>.block(rows: count, outRange: outRange, inFeatures: n, outStride: outStride, w: w, x: xr, y: yr)
                case .bf16: Portable<BF16Elements>.block(rows: count, outRange: outRange, inFeatures: n, outStride: outStride, w: w, x: xr, y: yr)
                case .f16: Portable<F16Elements>.block(rows: count, outRange: outRange, inFeatures: n, outStride: outStride, w: w, x: xr, y: yr)
                }
            }
            r += count
        }
    }

    /// Column block length, in elements, for more than 4 rows: at batch 8 the
    /// block's 3 weight rows, 8 input rows and the prefetched next block
    /// take 14 KiB of a 32 KiB L1 data cache in F32 (measured against 512:
    /// slower at 8 rows). Toward `maxRows` the input rows alone fill L1,
    /// which is where sgemm catches up. CKernels' BLOCK is the same.
    static let blockFloats = 256
}
