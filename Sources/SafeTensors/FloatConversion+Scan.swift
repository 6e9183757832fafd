extension FloatConversion {
    /// The smallest magnitude F16 rounds to infinity: 65504 is its largest
    /// finite value and 65520 the halfway point to the next step, which
    /// rounds to even — infinity (`floatToF16`, `f16Overflowed`).
    public static let f16OverflowMagnitude: Float = 65520

    /// The index of the first NaN or ±infinity among the little-endian
    /// floating-point values `raw` holds (a tensor's data as the file has
    /// it), nil when every value is finite or `dtype` is not floating point.
    /// Reads the exponent bits only: all ones is non-finite in each format.
    public static func firstNonFinite(in raw: UnsafeRawBufferPointer, dtype: DType) -> Int? {
        switch dtype {
        case .f32: return firstIndex(raw, UInt32.self) { $0 & 0x7F80_0000 == 0x7F80_0000 }
        case .f16: return firstIndex(raw, UInt16.self) { $0 & 0x7C00 == 0x7C00 }
        case .bf16: return firstIndex(raw, UInt16.self) { $0 & 0x7F80 == 0x7F80 }
        case .f64: return firstIndex(raw, UInt64.self) { $0 & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000 }
        default: return nil
        }
    }

    /// The largest magnitude among the finite values `raw` holds, as F32
    /// (F64 rounded to nearest). For finite values of each format a larger
    /// magnitude has a larger bit pattern once the sign is cleared, so this
    /// compares integers and converts one value.
    public static func largestFiniteMagnitude(in raw: UnsafeRawBufferPointer, dtype: DType) -> Float {
        switch dtype {
        case .f32:
            return Float(bitPattern: largestBits(raw, UInt32.self, magnitude: 0x7FFF_FFFF, infinity: 0x7F80_0000))
        case .f16:
            return f16ToFloat(largestBits(raw, UInt16.self, magnitude: 0x7FFF, infinity: 0x7C00))
        case .bf16:
            return bf16ToFloat(largestBits(raw, UInt16.self, magnitude: 0x7FFF, infinity: 0x7F80))
        case .f64:
            return Float(Double(bitPattern: largestBits(raw, UInt64.self, magnitude: 0x7FFF_FFFF_FFFF_FFFF,
                                                        infinity: 0x7FF0_0000_0000_0000)))
        default:
            return 0
        }
    }

    /// How many of the finite values `raw` holds F16 would write as
    /// ±infinity (magnitude from `f16OverflowMagnitude` up): what
    /// `SafeTensorsWriter.encode(_:as: .f16)` would refuse.
    public static func countPastF16(in raw: UnsafeRawBufferPointer, dtype: DType) -> Int {
        switch dtype {
        case .f32:
            // 65520 is exact in F32; every larger finite magnitude has larger bits.
            let limit = f16OverflowMagnitude.bitPattern
            return count(raw, UInt32.self) { let m = $0 & 0x7FFF_FFFF; return m >= limit && m < 0x7F80_0000 }
        case .bf16:
            // BF16 has no 65520: its first magnitude from there up is 65536.
            return count(raw, UInt16.self) { let m = $0 & 0x7FFF; return bf16ToFloat(m) >= f16OverflowMagnitude && m < 0x7F80 }
        case .f64:
            return count(raw, UInt64.self) {
                let v = Double(bitPattern: $0).magnitude
                return v.isFinite && Float(v) >= f16OverflowMagnitude
            }
        default:
            return 0   // F16 holds its own values; integers are not converted
        }
    }

    @inline(__always)
    private static func firstIndex<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type,
                                                         _ isHit: (T) -> Bool) -> Int? {
        let n = raw.count / MemoryLayout<T>.size
        for i in 0..<n where isHit(T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))) {
            return i
        }
        return nil
    }

    @inline(__always)
    private static func count<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type, _ isHit: (T) -> Bool) -> Int {
        let n = raw.count / MemoryLayout<T>.size
        var hits = 0
        for i in 0..<n where isHit(T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))) {
            hits += 1
        }
        return hits
    }

    /// The largest sign-cleared bit pattern below `infinity` (0 if none).
    @inline(__always)
    private static func largestBits<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _: T.Type, magnitude: T,
                                                          infinity: T) -> T {
        let n = raw.count / MemoryLayout<T>.size
        var largest: T = 0
        for i in 0..<n {
            let m = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) & magnitude
            if m < infinity && m > largest { largest = m }
        }
        return largest
    }
}
