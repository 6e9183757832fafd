/// Exact bit-level conversions between F32 and the 16-bit float formats.
///
/// Widening (F16/BF16 → F32) is exact for every value, NaN payloads and
/// infinities included. Narrowing rounds to nearest, ties to even, as PyTorch
/// does for `.to(torch.bfloat16)` (c10/util/BFloat16.h `round_to_nearest_even`)
/// and for `.half()` (IEEE 754 default rounding).
public enum FloatConversion {
    @inline(__always)
    public static func bf16ToFloat(_ b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    @inline(__always)
    public static func floatToBF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN {
            // Keep sign and the top payload bits; force quiet so truncation can't make it Inf.
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let lsb = (bits >> 16) & 1
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
    }

    @inline(__always)
    public static func f16ToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2⁻²⁴, exact in F32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }

    @inline(__always)
    public static func floatToF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }                        // ±Inf
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13) // quiet NaN, payload kept
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }                                  // overflow → ±Inf
        if e <= 0 {
            // Subnormal half (or zero): shift the full significand into place, round to nearest even.
            if e < -10 { return sign }                                       // below half the smallest subnormal
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            var half = significand >> shift
            let remainder = significand & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) {
            half += 1   // may carry into the exponent, correctly up to Inf
        }
        return sign | UInt16(half)
    }

    /// Whether `b`, `floatToBF16(f)`, is an infinity that finite `f` was
    /// not: f beyond BF16's largest value (the top of F32's range).
    @inline(__always)
    public static func bf16Overflowed(_ b: UInt16, from f: Float) -> Bool {
        b & 0x7FFF == 0x7F80 && f.isFinite
    }

    /// Whether `h`, `floatToF16(f)`, is an infinity that finite `f` was
    /// not: |f| from 65520 up, past F16's largest value 65504.
    @inline(__always)
    public static func f16Overflowed(_ h: UInt16, from f: Float) -> Bool {
        h & 0x7FFF == 0x7C00 && f.isFinite
    }
}
