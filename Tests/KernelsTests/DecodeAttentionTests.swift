import Foundation
import SafeTensors
import Testing
@testable import Kernels

@Suite struct DecodeAttentionTests {
    /// softmax(q·Kᵀ·scale)·V in Double, the second computation; k and v are
    /// one KV head's cache, (count, headDim), already widened to F32.
    static func naive(q: ArraySlice<Float>, keys k: [Float], values v: [Float], count: Int, headDim: Int,
                      scale: Float) -> [Float] {
        let q = Array(q)
        var s = (0..<count).map { t in
            (0..<headDim).reduce(0.0) { $0 + Double(q[$1]) * Double(k[t * headDim + $1]) } * Double(scale)
        }
        let m = s.max() ?? 0
        s = s.map { Foundation.exp($0 - m) }
        let z = s.reduce(0, +)
        return (0..<headDim).map { d in Float((0..<count).reduce(0.0) { $0 + s[$1] / z * Double(v[$1 * headDim + d]) }) }
    }

    /// `values` stored in `format` (rounded to nearest even, as the cache
    /// stores them) and those bytes' exact F32 values.
    static func stored(_ values: [Float], as format: WeightFormat) -> (bytes: [UInt8], widened: [Float]) {
        switch format {
        case .f32:
            return (values.withUnsafeBytes { Array($0) }, values)
        case .bf16:
            let bits = values.map(FloatConversion.floatToBF16)
            return (bits.withUnsafeBytes { Array($0) }, bits.map(FloatConversion.bf16ToFloat))
        case .f16:
            let bits = values.map(FloatConversion.floatToF16)
            return (bits.withUnsafeBytes { Array($0) }, bits.map(FloatConversion.f16ToFloat))
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let format: WeightFormat, headDim: Int, heads: Int
        var testDescription: String { "\(format) headDim \(headDim) × \(heads) heads" }
    }

    /// 64 and 128 take the register-blocked path, 48 and 6 the generic loops
    /// (6: a scalar tail only); 1, 3 and 5 query heads share the KV head
    /// (multi-head, and grouped-query groups of odd size); counts end
    /// inside, at and past the 64-position blocks. F32, BF16 and F16 caches,
    /// each against the Double computation on the values the cache holds.
    static let cases: [Case] = WeightFormat.allCases.flatMap { format in
        [Case(format: format, headDim: 64, heads: 3), Case(format: format, headDim: 128, heads: 1),
         Case(format: format, headDim: 48, heads: 5), Case(format: format, headDim: 6, heads: 3)]
    }

    @Test(arguments: cases)
    func everyHeadOfTheGroupMatchesTheDoubleComputation(_ c: Case) {
        var rng = TestRandom(UInt64(31 * c.headDim + c.heads))
        let hd = c.headDim, heads = c.heads
        for count in [1, 5, 63, 64, 65, 130, 200] {
            let q = rng.floats(heads * hd, scale: 2)
            let (keyBytes, keys) = Self.stored(rng.floats(count * hd, scale: 2), as: c.format)
            let (valueBytes, values) = Self.stored(rng.floats(count * hd), as: c.format)
            var scores = [Float](repeating: .nan, count: heads * count), out = [Float](repeating: .nan, count: heads * hd)
            let scale = 1 / Float(hd).squareRoot()
            keyBytes.withUnsafeBytes { kp in valueBytes.withUnsafeBytes { vp in
                DecodeAttention.group(q: q, heads: heads, keys: kp.baseAddress!, values: vp.baseAddress!,
                                      format: c.format, count: count, headDim: hd, scale: scale,
                                      scores: &scores, out: &out)
            } }
            for h in 0..<heads {
                let expected = Self.naive(q: q[(h * hd)..<((h + 1) * hd)], keys: keys, values: values,
                                          count: count, headDim: hd, scale: scale)
                #expect(maxAbsDiff(Array(out[(h * hd)..<((h + 1) * hd)]), expected) < 2e-6,
                        "\(c.testDescription) count \(count) head \(h)")
            }
        }
    }
}
