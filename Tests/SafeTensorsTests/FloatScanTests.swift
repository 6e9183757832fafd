import Testing
import SafeTensors
import TestSupport

/// The raw-byte scans a merge runs before it writes (`FloatConversion+Scan`)
/// against the values decoded one by one and judged by the conversions
/// themselves: `isFinite`, the largest finite magnitude, and
/// `f16Overflowed(floatToF16(v), from: v)` — the writer's own overflow test.
@Suite struct FloatScanTests {
    /// Random bit patterns (every class: NaN, infinity, subnormal, zero)
    /// mixed with values at F16's edge, as the dtype's little-endian bytes
    /// behind one stray byte, so every load is unaligned.
    static func samples(_ dtype: DType, count: Int, seed: UInt64) -> (raw: [UInt8], values: [Double]) {
        var rng = SplitMix64(seed: seed)
        let edges: [Double] = [65504, 65519.99, 65520, 65536, -65520, 1e-7, 0, -0.0, 3.3e38, 1e5]
        var values: [Double] = []
        for i in 0..<count {
            let bits = rng.next()
            switch dtype {
            case .f32: values.append(Double(i % 3 == 0 ? Float(edges[i % edges.count]) : Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            case .f16: values.append(Double(FloatConversion.f16ToFloat(UInt16(truncatingIfNeeded: bits))))
            case .bf16:
                let b = i % 3 == 0 ? FloatConversion.floatToBF16(Float(edges[i % edges.count])) : UInt16(truncatingIfNeeded: bits)
                values.append(Double(FloatConversion.bf16ToFloat(b)))
            default: values.append(i % 3 == 0 ? edges[i % edges.count] : Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            }
        }
        return (encode(values, dtype), values)
    }

    @Test(arguments: [DType.f32, .f16, .bf16, .f64])
    func scansAgreeWithTheValuesDecodedOneByOne(dtype: DType) {
        for (seed, count) in [(1, 0), (2, 1), (3, 7), (4, 4099)] as [(UInt64, Int)] {
            var (raw, values) = Self.samples(dtype, count: count, seed: seed)
            // Some runs without any non-finite value, so the scan must also say nil.
            if seed.isMultiple(of: 2) { values = values.map { $0.isFinite ? $0 : 1.5 } ; raw = Self.encode(values, dtype) }
            let (firstBad, largest, past) = raw.withUnsafeBytes { all in
                let body = UnsafeRawBufferPointer(rebasing: all[1...])
                return (FloatConversion.firstNonFinite(in: body, dtype: dtype),
                        FloatConversion.largestFiniteMagnitude(in: body, dtype: dtype),
                        FloatConversion.countPastF16(in: body, dtype: dtype))
            }
            #expect(firstBad == values.firstIndex { !$0.isFinite }, "\(dtype) seed \(seed)")
            let finite = values.filter(\.isFinite)
            #expect(largest == Float(finite.map(\.magnitude).max() ?? 0), "\(dtype) seed \(seed)")
            let expectedPast = dtype == .f16 ? 0 : finite.filter { v in
                let f = Float(v)
                return !f.isFinite || FloatConversion.f16Overflowed(FloatConversion.floatToF16(f), from: f)
            }.count
            #expect(past == expectedPast, "\(dtype) seed \(seed)")
        }
    }

    static func encode(_ values: [Double], _ dtype: DType) -> [UInt8] {
        var raw: [UInt8] = [0xAB]
        for v in values {
            switch dtype {
            case .f32: raw += withUnsafeBytes(of: Float(v).bitPattern.littleEndian, Array.init)
            case .f16: raw += withUnsafeBytes(of: FloatConversion.floatToF16(Float(v)).littleEndian, Array.init)
            case .bf16: raw += withUnsafeBytes(of: FloatConversion.floatToBF16(Float(v)).littleEndian, Array.init)
            default: raw += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
            }
        }
        return raw
    }
}
