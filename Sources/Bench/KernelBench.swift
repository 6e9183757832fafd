import Foundation
import CLI
import Kernels
import Llama

/// Kernel-level timings on the SmolLM-135M projection shapes: our GEMV
/// against OpenBLAS's sgemv for one row (F32), the 16-bit formats, batch 8,
/// and prefill's widen-a-panel-then-sgemm against F32 sgemm.
///
/// Each shape is streamed from memory as in decode: enough copies of the
/// matrix to fill 256 MiB of F32 (eight times the 32 MiB L3) are read in
/// turn, and a pass over all of them is timed (best of `repeats`). The
/// copies live where a model's weights do, in a `WeightArena` on 2 MiB
/// pages, so the rows compare kernels on the memory decode reads.
struct KernelBench {
    let pool: ComputePool
    var repeats = 5

    struct Shape {
        let name: String
        let out: Int, inFeatures: Int
        /// How many times a decode step uses the shape (30 layers; lm_head once).
        let perToken: Int
    }

    static func shapes(layers: Int = 30) -> [Shape] {
        [Shape(name: "q;k;v 960×576", out: 960, inFeatures: 576, perToken: layers),
         Shape(name: "o 576×576", out: 576, inFeatures: 576, perToken: layers),
         Shape(name: "gate;up 3072×576", out: 3072, inFeatures: 576, perToken: layers),
         Shape(name: "down 576×1536", out: 576, inFeatures: 1536, perToken: layers),
         Shape(name: "lm_head 49152×576", out: 49152, inFeatures: 576, perToken: 1)]
    }

    /// `copies` matrices of one shape in one format, back to back.
    final class Copies {
        let copies: Int, elements: Int
        /// (copies, out, in) in the format, in a `WeightArena` on 2 MiB pages.
        let buffer: WeightBuffer

        init(shape: Shape, format: WeightFormat) {
            elements = shape.out * shape.inFeatures
            copies = max(2, (256 << 20) / (elements * 4) + 1)
            // Values in [-0.5, 0.5): no NaNs or subnormals to slow anything.
            buffer = .filled(count: copies * elements, format: format, arena: WeightArena(pages: .huge)) {
                Float($0 % 1021) / 1021 - 0.5
            }
        }

        func matrix(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(buffer.address(of: i * elements)) }
    }

    /// Seconds per matrix for `body(matrix)`, best of `repeats` passes over all copies.
    func seconds(_ copies: Copies, _ body: (UnsafeRawPointer) -> Void) -> Double {
        body(copies.matrix(0))   // warm-up: threads awake
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            for i in 0..<copies.copies { body(copies.matrix(i)) }
            best = min(best, (ContinuousClock.now - start).seconds / Double(copies.copies))
        }
        return best
    }

    /// Per shape and summed over one decode token: OpenBLAS gemv and ours
    /// for F32, ours for BF16 and F16, for 1 and 8 rows.
    func decodeRows(report: inout BenchReport) {
        var token = [String: Double]()   // label → seconds per token
        let x = [Float](repeating: 0.01, count: 8 * 1536)
        var y = [Float](repeating: 0, count: 8 * 49152)
        for shape in Self.shapes() {
            let (o, n) = (shape.out, shape.inFeatures)
            var times: [String: Double] = [:]
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    let x = xp.baseAddress!, y = yp.baseAddress!
                    let f32 = Copies(shape: shape, format: .f32)
                    times["blas"] = seconds(f32) { w in
                        BLAS.gemv(out: o, in: n, w: w.assumingMemoryBound(to: Float.self), x: x, y: y)
                    }
                    for format in WeightFormat.allCases {
                        let copies = format == .f32 ? f32 : Copies(shape: shape, format: format)
                        for rows in [1, 8] {
                            times["\(format.rawValue)×\(rows)"] = seconds(copies) { w in
                                BatchedGEMV.multiply(rows: rows, out: o, in: n, w: w, format: format, x: x, y: y, pool: pool)
                            }
                        }
                    }
                }
            }
            for (k, v) in times { token[k, default: 0] += v * Double(shape.perToken) }
            let bytes = Double(o * n)
            let gbs = { (key: String, size: Double) in format(bytes * size / times[key, default: .nan] / 1e9) }
            report.add("gemv 1 row, F32, \(shape.name)", "OpenBLAS \(gbs("blas", 4)) / ours \(gbs("f32×1", 4)) GB/s",
                       "ours ÷ OpenBLAS = \(format(times["blas", default: .nan] / times["f32×1", default: .nan], 2))")
            report.add("gemv 1 row, 16-bit, \(shape.name)", "BF16 \(gbs("bf16×1", 2)) / F16 \(gbs("f16×1", 2)) GB/s",
                       "time ÷ F32 ours: BF16 \(format(times["bf16×1", default: .nan] / times["f32×1", default: .nan], 2)), F16 \(format(times["f16×1", default: .nan] / times["f32×1", default: .nan], 2))")
        }
        let ms = { (key: String) in format(token[key, default: .nan] * 1000, 2) }
        report.add("one token's projections, 1 row", "OpenBLAS F32 \(ms("blas")) / ours F32 \(ms("f32×1")) / BF16 \(ms("bf16×1")) / F16 \(ms("f16×1")) ms",
                   "ours F32 ÷ OpenBLAS \(format(token["blas", default: .nan] / token["f32×1", default: .nan], 2)); BF16 ÷ F32 time \(format(token["bf16×1", default: .nan] / token["f32×1", default: .nan], 2))")
        report.add("one token's projections, 8 rows", "F32 \(ms("f32×8")) / BF16 \(ms("bf16×8")) / F16 \(ms("f16×8")) ms",
                   "BF16 ÷ F32 time \(format(token["bf16×8", default: .nan] / token["f32×8", default: .nan], 2)); 8 rows ÷ 1 row, BF16: \(format(token["bf16×8", default: .nan] / token["bf16×1", default: .nan], 2))")
    }

    /// Prefill (128 rows): F32 sgemm against 16-bit weights widened in
    /// panels of 64, 256 and all rows into a reused buffer, then sgemm.
    func prefillRows(rows: Int = 128, report: inout BenchReport) {
        let x = [Float](repeating: 0.01, count: rows * 1536)
        var y = [Float](repeating: 0, count: rows * 3072)
        for shape in Self.shapes().filter({ $0.perToken > 1 }) {
            let (o, n) = (shape.out, shape.inFeatures)
            let f32 = Copies(shape: shape, format: .f32), bf16 = Copies(shape: shape, format: .bf16)
            var panel = [Float](repeating: 0, count: o * n)
            var results: [String] = []
            let flops = 2.0 * Double(rows * o * n)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    panel.withUnsafeMutableBufferPointer { pp in
                        let x = xp.baseAddress!, y = yp.baseAddress!, p = pp.baseAddress!
                        let base = seconds(f32) { w in
                            WidenedGEMM.multiply(rows: rows, out: o, in: n, w: w, format: .f32, x: x, y: y, panel: p)
                        }
                        results.append("F32 \(format(flops / base / 1e9))")
                        // 256 rows, what prefill uses (the whole matrix when it has fewer rows), all.
                        let chosen = min(o, WidenedGEMM.panelRows(inFeatures: n))
                        for panelRows in Set([256, chosen, o]).sorted() where panelRows <= o {
                            let t = seconds(bf16) { w in
                                WidenedGEMM.multiply(rows: rows, out: o, in: n, w: w, format: .bf16, x: x, y: y,
                                                     panel: p, panelRows: panelRows)
                            }
                            results.append("BF16/\(panelRows == o ? "all" : String(panelRows))\(panelRows == chosen ? " (used)" : "") \(format(flops / t / 1e9)) (\(format(base / t, 2)))")
                        }
                    }
                }
            }
            report.add("prefill \(rows) rows, \(shape.name)", results.joined(separator: " / ") + " GFLOP/s",
                       "BF16 by panel rows (time of F32 ÷ this)")
        }
    }
}
