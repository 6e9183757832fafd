/// y = x · Wᵀ for prefill-sized batches (more than `BatchedGEMV.maxRows`
/// rows) over weights in any `WeightFormat`: compute-bound, so OpenBLAS's
/// sgemm does the multiplying. 16-bit W is widened `panelRows` rows at a
/// time into a reused F32 panel that sgemm then reads while it is in cache;
/// F32 W goes straight to sgemm.
public enum WidenedGEMM {
    /// Output rows widened per sgemm call (see `lorad bench`'s kernel rows:
    /// a panel of 256 rows × 576 columns is 576 KiB, inside the L2 + L3
    /// share of a core, and sgemm at n = 256 runs near its large-n speed).
    public static let panelRows = 256

    /// F32 elements the panel scratch needs for a matrix with `inFeatures` columns.
    public static func panelCapacity(inFeatures: Int, panelRows: Int = panelRows) -> Int { panelRows * inFeatures }

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ; `panel` holds at least
    /// `panelCapacity(inFeatures:panelRows:)` floats (unused for F32 W).
    public static func multiply(rows: Int, out: Int, in inFeatures: Int, w: UnsafeRawPointer, format: WeightFormat,
                                x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                panel: UnsafeMutablePointer<Float>, panelRows: Int = panelRows,
                                path: KernelPath = KernelPath.active) {
        guard rows > 0, out > 0 else { return }
        if format == .f32 {
            BLAS.gemmABt(m: rows, n: out, k: inFeatures, a: x, b: w.assumingMemoryBound(to: Float.self), c: y)
            return
        }
        let step = max(1, panelRows)
        var o = 0
        while o < out {
            let count = min(step, out - o)
            Widening.toFloat(w + o * inFeatures * format.byteSize, format: format, into: panel,
                             count: count * inFeatures, path: path)
            // y[:, o ..< o + count] = x · panelᵀ (ldc = out)
            BLAS.gemmABt(m: rows, n: count, k: inFeatures, a: x, b: panel, c: y + o, ldc: out)
            o += count
        }
    }
}
