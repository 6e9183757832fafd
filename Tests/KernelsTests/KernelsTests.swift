import Foundation
import Testing
@testable import Kernels

@Suite struct VectorKernelTests {
    @Test func rmsNormMatchesADoublePrecisionReference() {
        var rng = TestRandom(1)
        let rows = 3, n = 77
        let x = rng.floats(rows * n, scale: 3), w = rng.floats(n)
        var out = [Float](repeating: 0, count: rows * n)
        RMSNorm.apply(rows: rows, count: n, x: x, weight: w, eps: 1e-5, out: &out)
        var expected = [Float]()
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
            let inv = 1 / (row.map { $0 * $0 }.reduce(0, +) / Double(n) + 1e-5).squareRoot()
            for i in 0..<n { expected.append(Float(Double(w[i]) * row[i] * inv)) }
        }
        #expect(maxAbsDiff(out, expected) < 1e-5)
    }

    @Test func rmsNormMayWorkInPlace() {
        var rng = TestRandom(2)
        let x = rng.floats(40), w = rng.floats(40)
        var separate = [Float](repeating: 0, count: 40)
        RMSNorm.apply(rows: 1, count: 40, x: x, weight: w, eps: 1e-6, out: &separate)
        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { p in
            RMSNorm.apply(rows: 1, count: 40, x: p.baseAddress!, weight: w, eps: 1e-6, out: p.baseAddress!)
        }
        #expect(inPlace == separate)
    }

    @Test func siluAndSwigluFollowTheirDefinitions() {
        var rng = TestRandom(3)
        let gate = rng.floats(50, scale: 8), up = rng.floats(50, scale: 2)
        var out = [Float](repeating: 0, count: 50)
        Activation.swiglu(gate: gate, up: up, out: &out, count: 50)
        for i in 0..<50 {
            let g = Double(gate[i])
            let expected = g / (1 + exp(-g)) * Double(up[i])
            #expect(abs(Double(out[i]) - expected) < 1e-5)
        }
        #expect(Activation.silu(0) == 0)
        #expect(abs(Activation.silu(-100)) < 1e-30)
    }

    @Test func softmaxSumsToOneAndSurvivesHugeLogits() {
        let x: [Float] = [1000, 999, 998, -Float.infinity]
        let p = Softmax.apply(x)
        let e1 = exp(-1.0), e2 = exp(-2.0), z = 1 + e1 + e2
        #expect(abs(Double(p[0]) - 1 / z) < 1e-6)
        #expect(abs(Double(p[1]) - e1 / z) < 1e-6)
        #expect(abs(Double(p[2]) - e2 / z) < 1e-6)
        #expect(p[3] == 0)
        #expect(!p.contains { $0.isNaN })
    }

    @Test func argmaxReturnsTheFirstMaximum() {
        #expect(VectorMath.argmax([1, 5, 3, 5, -2]) == 1)
        #expect(VectorMath.argmax([-3, -1, -2]) == 1)
    }

    @Test func dotHandlesLengthsThatAreNotAMultipleOfTheVectorWidth() {
        var rng = TestRandom(4)
        for n in [0, 1, 15, 16, 17, 64, 100] {
            let a = rng.floats(n), b = rng.floats(n)
            let expected = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(Double(VectorMath.dot(a, b, count: n)) - expected) < 1e-5)
        }
    }
}

@Suite struct RoPETests {
    /// transformers: q·cos + rotate_half(q)·sin with rotate_half(q) = cat(-q[d/2:], q[:d/2])
    /// and cos = cat(cos(pos·inv_freq), cos(pos·inv_freq)).
    @Test func rotationMatchesRotateHalfReference() {
        var rng = TestRandom(5)
        let d = 16, heads = 3, position = 37
        let inv = RoPE.defaultInverseFrequencies(headDim: d, theta: 10000)
        let rope = RoPE(headDim: d, inverseFrequencies: inv)
        let x = rng.floats(heads * d)
        var cos = [Float](repeating: 0, count: d / 2), sin = cos
        rope.angles(position: position, cos: &cos, sin: &sin)
        var y = x
        rope.rotate(&y, heads: heads, cos: cos, sin: sin)
        for h in 0..<heads {
            let v = Array(x[(h * d)..<((h + 1) * d)]).map(Double.init)
            let rotated = (0..<d).map { i in i < d / 2 ? -v[i + d / 2] : v[i - d / 2] }
            for i in 0..<d {
                let theta = Double(position) * 1 / pow(10000, Double(2 * (i % (d / 2))) / Double(d))
                let expected = v[i] * Foundation.cos(theta) + rotated[i] * Foundation.sin(theta)
                #expect(abs(Double(y[h * d + i]) - expected) < 1e-4)
            }
        }
    }

    @Test func inverseFrequenciesFollowThetaToTheMinusTwoIOverD() {
        let inv = RoPE.defaultInverseFrequencies(headDim: 64, theta: 500000)
        for (i, f) in inv.enumerated() {
            let expected = 1 / pow(500000.0, Double(2 * i) / 64)
            #expect(abs(Double(f) - expected) / expected < 1e-6)
        }
    }

    @Test func positionZeroIsTheIdentity() {
        var rng = TestRandom(6)
        let rope = RoPE(headDim: 8, inverseFrequencies: RoPE.defaultInverseFrequencies(headDim: 8, theta: 10000))
        let x = rng.floats(8)
        var cos = [Float](repeating: 0, count: 4), sin = cos
        rope.angles(position: 0, cos: &cos, sin: &sin)
        var y = x
        rope.rotate(&y, heads: 1, cos: cos, sin: sin)
        #expect(y == x)
    }
}

@Suite struct BLASTests {
    @Test func gemvAndGemmAgreeWithANaiveProduct() {
        var rng = TestRandom(7)
        let m = 5, out = 33, inF = 21
        let w = rng.floats(out * inF), x = rng.floats(m * inF)
        var naive = [Float](repeating: 0, count: m * out)
        for r in 0..<m { for o in 0..<out {
            var s = 0.0
            for i in 0..<inF { s += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
            naive[r * out + o] = Float(s)
        } }
        var viaGemm = [Float](repeating: 0, count: m * out)
        BLAS.gemmABt(m: m, n: out, k: inF, a: x, b: w, c: &viaGemm)
        #expect(maxAbsDiff(viaGemm, naive) < 1e-5)
        var viaGemv = [Float](repeating: 0, count: out)
        BLAS.gemv(out: out, in: inF, w: w, x: x, y: &viaGemv)
        #expect(maxAbsDiff(viaGemv, Array(naive[0..<out])) < 1e-5)
    }

    /// One, two and three compute threads (three: a share per thread that
    /// does not divide the output rows evenly).
    static let pools = [ComputePool(threads: 1), ComputePool(threads: 2), ComputePool(threads: 3)]

    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 16, 32])
    func batchedGEMVAgreesWithANaiveProduct(rows: Int) {
        var rng = TestRandom(UInt64(8 + rows))
        for (out, inF) in [(7, 21), (33, 64), (300, 13), (257, 576), (256, 1539)] {
            let w = rng.floats(out * inF), x = rng.floats(rows * inF)
            var naive = [Float](repeating: 0, count: rows * out)
            for r in 0..<rows { for o in 0..<out {
                var s = 0.0
                for i in 0..<inF { s += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                naive[r * out + o] = Float(s)
            } }
            for pool in Self.pools {
                var y = [Float](repeating: .nan, count: rows * out)
                BatchedGEMV.multiply(rows: rows, out: out, in: inF, w: w, x: x, y: &y, pool: pool)
                #expect(maxAbsDiff(y, naive) < 1e-4, "out \(out) in \(inF) threads \(pool.threadCount)")
            }
        }
    }
}
