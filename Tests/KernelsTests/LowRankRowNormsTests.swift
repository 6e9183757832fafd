import Foundation
import Testing
@testable import Kernels

/// `LowRankRowNorms.squared` against ‖W + B·A‖² per row summed in double.
@Suite struct LowRankRowNormsTests {
    static func reference(out: Int, in n: Int, rank: Int, w: [Float], b: [Float], a: [Float]) -> [Double] {
        (0..<out).map { o in
            var sum = 0.0
            for i in 0..<n {
                var v = Double(w[o * n + i])
                for k in 0..<rank { v += Double(b[o * rank + k]) * Double(a[k * n + i]) }
                sum += v * v
            }
            return sum
        }
    }

    /// Heights around the 4-row tile, widths around the 16- and 8-column
    /// blocks and the F64 flush, ranks from 0 (W alone) up; on one thread
    /// and on the shared pool.
    @Test(arguments: [(1, 1, 1), (3, 7, 2), (4, 16, 8), (5, 17, 4), (9, 130, 16), (13, 344, 3), (64, 128, 0), (6, 600, 5)])
    func squaredRowNormsMatchADoubleReference(_ shape: (Int, Int, Int)) {
        let (out, n, rank) = shape
        var rng = TestRandom(UInt64(out * 1000 + n * 10 + rank))
        let w = rng.floats(out * n), b = rng.floats(out * max(rank, 1)), a = rng.floats(max(rank, 1) * n)
        let expected = Self.reference(out: out, in: n, rank: rank, w: w, b: b, a: a)
        let three = ComputePool(threads: 3)
        defer { three.stop() }
        for pool in [ComputePool.serial, three] {
            var result = [Double](repeating: -1, count: out)
            LowRankRowNorms.squared(out: out, in: n, rank: rank, w: w, b: b, a: a, result: &result, pool: pool)
            let worst = zip(result, expected).map { abs($0 - $1) / max($1, 1e-30) }.max() ?? 1
            #expect(worst < 1e-6, "\(shape) on \(pool.threadCount) threads: max relative error \(worst)")
            var expanded = [Double](repeating: -1, count: out)
            LowRankRowNorms.squaredByExpansion(out: out, in: n, rank: rank, w: w, b: b, a: a, result: &expanded, pool: pool)
            let worstExpanded = zip(expanded, expected).map { abs($0 - $1) / max($1, 1e-30) }.max() ?? 1
            #expect(worstExpanded < 1e-6, "\(shape) expanded on \(pool.threadCount) threads: max relative error \(worstExpanded)")
        }
    }

    /// The expansion against the double reference at DoRA's shapes, with B·A
    /// from 1/100 of W to as large, rows with a large cross term (W = 0.9·B·A,
    /// and W = −0.2·B·A, which takes away 38% and is still expanded), rows built to cancel (W + B·A down to
    /// 1/8, 1/100 and 1/10⁴ of B·A: re-summed directly) and to cancel fully
    /// (exactly zero).
    @Test(arguments: [(576, 576, 16), (192, 576, 8), (128, 1536, 16), (344, 128, 4)])
    func expandedRowNormsMatchADoubleReferenceThroughCancellation(_ shape: (Int, Int, Int)) {
        let (out, n, rank) = shape
        var rng = TestRandom(UInt64(out * 7 + n * 3 + rank))
        var w = rng.floats(out * n), b = rng.floats(out * rank)
        let a = rng.floats(rank * n)
        for o in 0..<out {
            // B·A's size against W's: row o scaled by 10^(−2 … 0).
            let scale = Float(pow(10.0, -2.0 + 2.0 * Double(o % 5) / 4))
            for k in 0..<rank { b[o * rank + k] *= scale }
        }
        // Rows 0…5: W = −B·A·(1 − f), so W + B·A ≈ f·B·A.
        for (o, f) in [(0, Float(0.125)), (1, 0.01), (2, 1e-4), (3, 0), (4, 0.8), (5, 1.9)] {
            for i in 0..<n {
                var ba: Float = 0
                for k in 0..<rank { ba = ba.addingProduct(b[o * rank + k], a[k * n + i]) }
                w[o * n + i] = -ba * (1 - f)
            }
        }
        let expected = Self.reference(out: out, in: n, rank: rank, w: w, b: b, a: a)
        var direct = [Double](repeating: -1, count: out), expanded = direct
        LowRankRowNorms.squared(out: out, in: n, rank: rank, w: w, b: b, a: a, result: &direct, pool: .serial)
        LowRankRowNorms.squaredByExpansion(out: out, in: n, rank: rank, w: w, b: b, a: a, result: &expanded)
        // Against the double reference of the same F32 inputs; rows 0…3 carry
        // the F32 rounding of each element W + B·A (formed in F32, as PEFT
        // forms it), which their cancellation magnifies: there the direct
        // sum is the reference.
        for o in 0..<out {
            let reference = o < 4 ? direct[o] : expected[o]
            let error = abs(expanded[o] - reference) / max(reference, 1e-30)
            #expect(reference == 0 ? expanded[o] == 0 : error < 1e-6, "\(shape) row \(o): \(expanded[o]) vs \(reference)")
        }
    }

    /// A sum that cancels to zero in one row gives exactly zero there (the
    /// F32 element is formed first, as PEFT forms it).
    @Test func aCancellingRowGivesZero() {
        let n = 40
        let a = (0..<n).map { Float($0 % 7) - 3 }   // rank 1
        let w = a.map { -2 * $0 } + a               // row 0: W = −2·A; row 1: W = A
        let b: [Float] = [2, 1]                      // row 0: B·A = 2·A; row 1: B·A = A
        var result = [Double](repeating: -1, count: 2)
        LowRankRowNorms.squared(out: 2, in: n, rank: 1, w: w, b: b, a: a, result: &result, pool: .serial)
        #expect(result[0] == 0)
        #expect(result[1] == a.reduce(0) { $0 + 4 * Double($1) * Double($1) })
    }
}
