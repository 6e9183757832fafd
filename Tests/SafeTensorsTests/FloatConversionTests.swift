import Testing
import SafeTensors
import TestSupport

/// Conversions checked against a second computation: Swift's own Float16
/// (IEEE 754 hardware/soft-float rounding) and an exact Double-based model of
/// round-to-nearest-even for BF16.
@Suite struct FloatConversionTests {
    #if arch(x86_64) || arch(arm64)
    @Test func everyF16BitPatternWidensLikeSwiftFloat16() {
        for bits in 0...UInt16.max {
            let ours = FloatConversion.f16ToFloat(bits)
            let peer = Float(Float16(bitPattern: bits))
            if peer.isNaN {
                #expect(ours.isNaN)
                // payload kept: narrowing gives the same bits back
                #expect(FloatConversion.floatToF16(ours) == bits | 0x0200)
            } else {
                #expect(ours.bitPattern == peer.bitPattern, "bits \(bits)")
                #expect(FloatConversion.floatToF16(ours) == bits, "round trip \(bits)")
            }
        }
    }

    @Test func f32NarrowsToF16LikeSwiftFloat16() {
        var rng = SplitMix64(seed: 7)
        var samples: [Float] = [65504, 65520, 65519.99, 1e-8, 2.9802322e-8, 5.9604645e-8, 8.940697e-8, -0.0, 1e10, -1e10]
        for _ in 0..<200_000 { samples.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        // Values near the F16 range, where rounding decisions are dense.
        for _ in 0..<200_000 { samples.append(Float(bitPattern: 0x3300_0000 &+ UInt32(truncatingIfNeeded: rng.next() % 0x1500_0000))) }
        for f in samples where !f.isNaN {
            #expect(FloatConversion.floatToF16(f) == Float16(f).bitPattern, "value \(f) bits \(f.bitPattern)")
        }
    }
    #endif

    @Test func bf16NarrowingRoundsToNearestEven() {
        var rng = SplitMix64(seed: 11)
        for i in 0..<300_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if f.isNaN || f.isInfinite { continue }
            let ours = FloatConversion.floatToBF16(f)
            // The two BF16 neighbours of f, chosen by exact Double distance.
            let down = UInt16(f.bitPattern >> 16)
            let lo = Double(FloatConversion.bf16ToFloat(down))
            let hiBits = down &+ 1
            // IEEE 754 §4.3.1: past the largest finite value, rounding treats
            // infinity as if it were the next power of two, 2¹²⁸.
            let hiFloat = FloatConversion.bf16ToFloat(hiBits)
            let hi = hiFloat.isInfinite ? (hiFloat < 0 ? -0x1p128 : 0x1p128) : Double(hiFloat)
            let d = Double(f)
            let expected: UInt16
            if abs(d - lo) < abs(hi - d) { expected = down }
            else if abs(d - lo) > abs(hi - d) { expected = hiBits }
            else { expected = (down & 1) == 0 ? down : hiBits }
            if expected != ours { Issue.record("sample \(i): \(f) → \(ours), expected \(expected)"); return }
        }
        #expect(FloatConversion.floatToBF16(.infinity) == 0x7F80)
        #expect(FloatConversion.floatToBF16(-.infinity) == 0xFF80)
        #expect(FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(.nan)).isNaN)
        // A NaN whose payload lives only in the low bits must stay NaN, not become Inf.
        #expect(FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    @Test func everyBF16BitPatternWidensExactly() {
        for bits in 0...UInt16.max {
            let f = FloatConversion.bf16ToFloat(bits)
            if f.isNaN { #expect(FloatConversion.bf16ToFloat(FloatConversion.floatToBF16(f)).isNaN) }
            else { #expect(FloatConversion.floatToBF16(f) == bits) }
        }
    }
}
