/// y = x · Wᵀ for prefill-sized batches (more than `BatchedGEMV.maxRows`
/// rows) over weights in any `WeightFormat`: compute-bound, so OpenBLAS's
/// sgemm does the multiplying. 16-bit W is widened `panelRows(inFeatures:)`
/// rows at a time into a reused F32 panel that sgemm then reads while it is
/// in cache; F32 W goes straight to sgemm.
public enum WidenedGEMM {
    /// Output rows widened per sgemm call: as many as `panelBytes` holds
    /// for the matrix's width, at least 256 and at most 1024. sgemm runs
    /// nearer its large-n speed the more rows a call has: 128 input rows of
    /// the SmolLM-135M shapes, widening included, 2 threads (Zen 4, best of
    /// 7, three runs) — 256 rows a panel 124–145 GFLOP/s, 1024 rows
    /// 131–159, the whole matrix 137–159. A bound in bytes keeps the panel
    /// of a wide matrix (an 8B model's 14336 columns: 14 MiB at 256 rows)
    /// from growing with it.
    public static func panelRows(inFeatures: Int) -> Int {
        min(maxPanelRows, max(minPanelRows, panelBytes / (4 * max(1, inFeatures))))
    }

    static let minPanelRows = 256, maxPanelRows = 1024
    /// 8 MiB: 1024 rows up to 2048 columns (the 135M model's panels are
    /// 2.3 and 6 MiB, inside a 32 MiB L3).
    static let panelBytes = 8 << 20

    /// F32 elements the panel scratch needs for a matrix with `inFeatures`
    /// columns (`panelRows` rows when given). Without `panelRows`, the
    /// bytes bound itself between 256 and 1024 rows, not rows × columns:
    /// that never shrinks as the matrix widens (the whole rows that fit
    /// can: 1024 × 2048 floats, then 1023 × 2049), so the widest matrix's
    /// capacity serves every other.
    public static func panelCapacity(inFeatures: Int, panelRows: Int? = nil) -> Int {
        if let panelRows { return panelRows * inFeatures }
        return min(maxPanelRows * inFeatures, max(minPanelRows * inFeatures, panelBytes / 4))
    }

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ; `panel` holds at least
    /// `panelCapacity(inFeatures:panelRows:)` floats (unused for F32 W).
    public static func multiply(rows: Int, out: Int, in inFeatures: Int, w: UnsafeRawPointer, format: WeightFormat,
                                x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                panel: UnsafeMutablePointer<Float>, panelRows: Int? = nil,
                                path: KernelPath = KernelPath.active) {
        guard rows > 0, out > 0 else { return }
        if format == .f32 {
            BLAS.gemmABt(m: rows, n: out, k: inFeatures, a: x, b: w.assumingMemoryBound(to: Float.self), c: y)
            return
        }
        let step = max(1, panelRows ?? Self.panelRows(inFeatures: inFeatures))
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
