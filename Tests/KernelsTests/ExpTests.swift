import Foundation
import Testing
@testable import Kernels

@Suite struct ExpTests {
    /// Every 1/64 from -100 to 100 plus the edges, against libm's exp in Double.
    @Test func vectorExpIsWithinTwoUlpOfLibm() {
        var inputs: [Float] = stride(from: -100, through: 100, by: 1.0 / 64).map { Float($0) }
        inputs += [-87.33654, -87.3, -87.0, 0, -0, 1e-30, -1e-30, 88.0, 88.72, 88.72283, Float.ulpOfOne]
        var worst: Float = 0
        for chunk in stride(from: 0, to: inputs.count, by: 8) {
            var v = SIMD8<Float>(repeating: 0)
            let n = min(8, inputs.count - chunk)
            for k in 0..<n { v[k] = inputs[chunk + k] }
            let e = VectorMath.exp(v)
            for k in 0..<n {
                let x = inputs[chunk + k], truth = Foundation.exp(Double(x))
                if truth < Double(Float.leastNormalMagnitude) {
                    #expect(e[k] == 0 || Double(e[k]) < Double(Float.leastNormalMagnitude) * 2, "exp(\(x))")
                } else if truth > Double(Float.greatestFiniteMagnitude) {
                    #expect(e[k] == .infinity, "exp(\(x))")
                } else {
                    let ulp = Float(truth).ulp
                    worst = max(worst, Float(abs(Double(e[k]) - truth)) / ulp)
                }
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func specialValuesGiveWhatExpfGives() {
        let v = SIMD8<Float>(-.infinity, .infinity, .nan, -1000, 1000, 0, -88, 89)
        let e = VectorMath.exp(v)
        #expect(e[0] == 0 && e[1] == .infinity && e[2].isNaN && e[3] == 0 && e[4] == .infinity && e[5] == 1)
        #expect(e[6] < 1e-37 && e[6] >= 0)
        #expect(e[7] == .infinity)
    }

    @Test func expInPlaceCoversTailsShorterThanALane() {
        for count in [1, 7, 8, 9, 23] {
            var x = (0..<count).map { Float($0) * 0.37 - 3 }
            let expected = x.map { Foundation.exp(Double($0)) }
            x.withUnsafeMutableBufferPointer { VectorMath.expInPlace($0.baseAddress!, count: count) }
            for i in 0..<count { #expect(abs(Double(x[i]) - expected[i]) <= expected[i] * 3e-7, "\(count) #\(i)") }
        }
    }

    @Test func swigluMatchesTheScalarDefinition() {
        var rng = TestRandom(31)
        let n = 1539
        let gate = rng.floats(n, scale: 12), up = rng.floats(n, scale: 3)
        var out = [Float](repeating: 0, count: n)
        Activation.swiglu(gate: gate, up: up, out: &out, count: n)
        for i in 0..<n {
            let g = Double(gate[i]), expected = g / (1 + Foundation.exp(-g)) * Double(up[i])
            #expect(abs(Double(out[i]) - expected) <= 1e-6 * max(1, abs(expected)), "#\(i)")
        }
    }
}
