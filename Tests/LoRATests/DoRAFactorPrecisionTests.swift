import Testing
import TestSupport
@testable import LoRA

/// DoRA's factor g = m / ‖W0ᵢ + s·BᵢA‖ as the loader computes it, against
/// the same norm formed in Double from the same F32 inputs — on random rows
/// and on rows where s·B·A nearly cancels W0, where a formula that expands
/// the square (‖W0ᵢ‖² + 2s⟨…⟩ + s²…) in F32 loses every digit.
@Suite struct DoRAFactorPrecisionTests {
    static let unitRoundoff = 0x1p-24

    /// A (out, in) base, a rank-r pair and its magnitude; rows whose index is
    /// in `cancelling` are W0ᵢ = −s·BᵢA + ρ·noise (rounded to F32), so
    /// ‖W0ᵢ + s·BᵢA‖ ≈ ρ·‖noise‖ while ‖W0ᵢ‖ is ~1/ρ times larger.
    struct Case {
        let out: Int, inF: Int, rank: Int, scale: Float
        let w0: [Float], a: [Float], b: [Float], m: [Float]

        init(out: Int, inF: Int, rank: Int, scale: Float, cancelling: Set<Int>, residual: Float, seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            func uniform() -> Float { Float(Double(rng.next() >> 11) * 0x1p-53 * 2 - 1) }
            self.out = out; self.inF = inF; self.rank = rank; self.scale = scale
            a = (0..<(rank * inF)).map { _ in uniform() * 0.1 }
            b = (0..<(out * rank)).map { _ in uniform() * 0.1 }
            m = (0..<out).map { _ in 0.5 + abs(uniform()) }
            var w = (0..<(out * inF)).map { _ in uniform() * 0.05 }
            for o in cancelling {
                for i in 0..<inF {
                    var delta = 0.0
                    for k in 0..<rank { delta += Double(b[o * rank + k]) * Double(a[k * inF + i]) }
                    w[o * inF + i] = Float(-Double(scale) * delta) + residual * uniform()
                }
            }
            w0 = w
        }

        /// Per row: ‖W0ᵢ + s·BᵢA‖² in Double, and a bound on what forming
        /// each element in F32 may add to it: every element is a sum of
        /// r + 1 terms (W0 and r products of the F32 value s·B with A), each
        /// rounding step off by at most one unit roundoff of the terms'
        /// magnitudes, so |δⱼ| ≤ (r + 2)·u·(|W0ⱼ| + Σₖ|s·Bₖ·Aₖⱼ|), and the
        /// squared norm moves by at most Σ (2|vⱼ|·|δⱼ| + δⱼ²).
        func reference() -> [(squared: Double, bound: Double)] {
            (0..<out).map { o in
                var squared = 0.0, bound = 0.0
                for i in 0..<inF {
                    var v = Double(w0[o * inF + i]), magnitude = abs(v)
                    for k in 0..<rank {
                        let term = Double(scale) * Double(b[o * rank + k]) * Double(a[k * inF + i])
                        v += term
                        magnitude += abs(term)
                    }
                    let delta = Double(rank + 2) * DoRAFactorPrecisionTests.unitRoundoff * magnitude
                    squared += v * v
                    bound += 2 * abs(v) * delta + delta * delta
                }
                return (squared, bound)
            }
        }

        func factors() throws -> [Float] {
            let module = LoRAModule(rank: rank, inFeatures: inF, outFeatures: out, scale: scale, a: a, b: b)
            return try w0.withUnsafeBufferPointer { w in
                try DoRAFactors.compute(module: module, magnitude: m, scale: scale, id: LinearID(layer: 0, kind: .q), w0: w)
            }
        }
    }

    /// Random rows: g within 1e-6 relative of the Double computation (the
    /// tolerance the PEFT fixture comparison uses), every shape's tail and
    /// tile path included.
    @Test(arguments: [(37, 130, 3), (64, 576, 16), (9, 1536, 8)])
    func factorsOfRandomRowsMatchADoubleComputation(_ shape: (Int, Int, Int)) throws {
        let c = Case(out: shape.0, inF: shape.1, rank: shape.2, scale: 2, cancelling: [], residual: 0, seed: UInt64(shape.1))
        let g = try c.factors()
        for (o, (squared, _)) in c.reference().enumerated() {
            let expected = Double(c.m[o]) / squared.squareRoot()
            let error = abs(Double(g[o]) - expected) / expected
            #expect(error < 1e-6, "row \(o): g \(g[o]) against \(expected), relative error \(error)")
        }
    }

    /// Rows where s·B·A cancels W0 to within 1e-3 (and 1e-5) of its size: g
    /// stays within the F32 formation bound of the exact value (plus the F32
    /// summation and final rounding, 2e-6), while the untouched rows beside
    /// them keep 1e-6. An expanded square in F32 would be off by ≈ u·‖W0ᵢ‖²,
    /// orders of magnitude past that bound on these rows.
    @Test(arguments: [Float(1e-3), 1e-5])
    func factorsOfCancellingRowsStayWithinTheirF32FormationBound(residual: Float) throws {
        let cancelling: Set<Int> = [0, 5, 6, 7, 18]   // in a 4-row tile, a whole tile, and the tail rows' path
        let c = Case(out: 19, inF: 600, rank: 8, scale: 4, cancelling: cancelling, residual: residual * 0.05, seed: 11)
        let g = try c.factors()
        for (o, (squared, bound)) in c.reference().enumerated() {
            let expected = Double(c.m[o]) / squared.squareRoot()
            let error = abs(Double(g[o]) - expected) / expected
            // g = m/√n²: a relative error e in n² is e/2 in g.
            let tolerance = cancelling.contains(o) ? bound / squared / 2 + 2e-6 : 1e-6
            #expect(error <= tolerance, "row \(o): g \(g[o]) against \(expected), relative error \(error) > \(tolerance)")
            if cancelling.contains(o) {
                // The bound itself must be tight enough to catch an expanded square.
                var w0Squared = 0.0
                for i in 0..<c.inF { w0Squared += Double(c.w0[o * c.inF + i]) * Double(c.w0[o * c.inF + i]) }
                #expect(tolerance < Self.unitRoundoff * w0Squared / squared / 10, "row \(o): the bound \(tolerance) is too loose to test anything")
            }
        }
    }
}
