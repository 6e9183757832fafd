import Testing
@testable import Kernels

/// `LowRankRowNorms.squared` against ‖W + s·B·A‖² per row summed in double.
@Suite struct LowRankRowNormsTests {
    static func reference(out: Int, in n: Int, rank: Int, w: [Float], b: [Float], scale: Float, a: [Float]) -> [Double] {
        (0..<out).map { o in
            var sum = 0.0
            for i in 0..<n {
                var v = Double(w[o * n + i])
                for k in 0..<rank { v += Double(scale) * Double(b[o * rank + k]) * Double(a[k * n + i]) }
                sum += v * v
            }
            return sum
        }
    }

    /// Heights around the 4-row tile, widths around the 24- and 8-column
    /// blocks and the F64 flush, ranks from 0 (W alone) up; on one thread
    /// and on the shared pool; s = 1 and s = −2.5.
    @Test(arguments: [(1, 1, 1), (3, 7, 2), (4, 16, 8), (5, 17, 4), (9, 130, 16), (13, 344, 3), (64, 128, 0), (6, 600, 5), (8, 1536, 16)])
    func squaredRowNormsMatchADoubleReference(_ shape: (Int, Int, Int)) {
        let (out, n, rank) = shape
        var rng = TestRandom(UInt64(out * 1000 + n * 10 + rank))
        let w = rng.floats(out * n), b = rng.floats(out * max(rank, 1)), a = rng.floats(max(rank, 1) * n)
        let three = ComputePool(threads: 3)
        defer { three.stop() }
        for scale: Float in [1, -2.5] {
            let expected = Self.reference(out: out, in: n, rank: rank, w: w, b: b, scale: scale, a: a)
            for pool in [ComputePool.serial, three] {
                var result = [Double](repeating: -1, count: out)
                LowRankRowNorms.squared(out: out, in: n, rank: rank, w: w, b: b, scale: scale, a: a, result: &result, pool: pool)
                let worst = zip(result, expected).map { abs($0 - $1) / max($1, 1e-30) }.max() ?? 1
                #expect(worst < 1e-6, "\(shape), s = \(scale), on \(pool.threadCount) threads: max relative error \(worst)")
            }
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
