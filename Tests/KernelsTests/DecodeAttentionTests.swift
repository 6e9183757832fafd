import Foundation
import SafeTensors
import Testing
@testable import Kernels

/// `DecodeAttention.group` on every kernel path this CPU runs (the portable
/// Swift path, and the C kernels for AVX2 and AVX-512 where present),
/// forced one at a time, against softmax(q·Kᵀ·scale)·V computed in Double
/// on the values the cache holds.
@Suite struct DecodeAttentionTests {
    /// softmax(q·Kᵀ·scale)·V in Double, the second computation; k and v are
    /// one KV head's cache, (count, headDim), already widened to F32.
    static func naive(q: ArraySlice<Float>, keys k: [Float], values v: [Float], count: Int, headDim: Int,
                      scale: Float) -> [Float] {
        let q = Array(q)
        var s = [Double](repeating: 0, count: count)
        for t in 0..<count {
            var dot = 0.0
            for d in 0..<headDim { dot += Double(q[d]) * Double(k[t * headDim + d]) }
            s[t] = dot * Double(scale)
        }
        let m = s.max() ?? 0
        s = s.map { Foundation.exp($0 - m) }
        let z = s.reduce(0, +)
        var out = [Double](repeating: 0, count: headDim)
        for t in 0..<count {
            let w = s[t] / z
            for d in 0..<headDim { out[d] += w * Double(v[t * headDim + d]) }
        }
        return out.map { Float($0) }
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
        let format: WeightFormat, path: KernelPath
        var testDescription: String { "\(format) cache, \(path) path" }
    }

    /// Every cache format on every path this CPU has.
    static let cases: [Case] = WeightFormat.allCases.flatMap { format in
        KernelPath.available.map { Case(format: format, path: $0) }
    }

    /// Runs `group` with q, K, V, scores and out one element past an aligned
    /// start (no vector load is aligned) and scores/out filled with NaN
    /// first (the kernel must not read them); returns out.
    static func attend(_ c: Case, q: [Float], heads: Int, keyBytes: [UInt8], valueBytes: [UInt8], count: Int,
                       headDim hd: Int, scale: Float) -> [Float] {
        let es = c.format.byteSize
        let keys = [UInt8](repeating: 0, count: es) + keyBytes, values = [UInt8](repeating: 0, count: es) + valueBytes
        let query = [Float.nan] + q
        var scores = [Float](repeating: .nan, count: 1 + heads * count)
        var out = [Float](repeating: .nan, count: 1 + heads * hd)
        keys.withUnsafeBytes { kp in values.withUnsafeBytes { vp in query.withUnsafeBufferPointer { qp in
            scores.withUnsafeMutableBufferPointer { sp in out.withUnsafeMutableBufferPointer { op in
                DecodeAttention.group(q: qp.baseAddress! + 1, heads: heads, keys: kp.baseAddress! + es,
                                      values: vp.baseAddress! + es, format: c.format, count: count, headDim: hd,
                                      scale: scale, scores: sp.baseAddress! + 1, out: op.baseAddress! + 1, path: c.path)
            } }
        } } }
        return Array(out.dropFirst())
    }

    /// Checks every head of a group of `heads` over caches of each length.
    static func check(_ c: Case, headDim hd: Int, heads: Int, counts: [Int], seed: UInt64) {
        var rng = TestRandom(seed)
        let scale = 1 / Float(hd).squareRoot()
        for count in counts {
            let q = rng.floats(heads * hd, scale: 2)
            let (keyBytes, keys) = stored(rng.floats(count * hd, scale: 2), as: c.format)
            let (valueBytes, values) = stored(rng.floats(count * hd), as: c.format)
            let out = attend(c, q: q, heads: heads, keyBytes: keyBytes, valueBytes: valueBytes, count: count,
                             headDim: hd, scale: scale)
            for h in 0..<heads {
                let expected = naive(q: q[(h * hd)..<((h + 1) * hd)], keys: keys, values: values,
                                     count: count, headDim: hd, scale: scale)
                #expect(maxAbsDiff(Array(out[(h * hd)..<((h + 1) * hd)]), expected) < 2e-6,
                        "\(c.testDescription) headDim \(hd), \(heads) heads, count \(count), head \(h)")
            }
        }
    }

    /// Head sizes: 64 and 128 (the portable path's register-blocked
    /// chunks; whole vectors for the C kernels), 72 and 130 (a chunk plus
    /// a remainder; 130 has a 2-column tail), 48, 13, 6 and 1 (partial
    /// vectors and scalar tails only). Lengths end inside, at and past the
    /// C kernels' 4-position score tiles and their blocks (16 KiB of K:
    /// 64 positions of a 64-wide F32 head, 128 of a 16-bit one, 31 of a
    /// 130-wide F32 one), so the online softmax carries over 1 to 11
    /// blocks, and the portable path's 64-position blocks.
    @Test(arguments: cases)
    func everyHeadSizeAndLengthMatchesTheDoubleComputation(_ c: Case) {
        for hd in [1, 6, 13, 48, 64, 72, 128, 130] {
            Self.check(c, headDim: hd, heads: 3, counts: [1, 5, 8, 9, 31, 32, 63, 64, 65, 130, 200, 333],
                       seed: UInt64(31 * hd))
        }
    }

    /// Grouped-query groups of 1 (multi-head) to 8 query heads sharing the
    /// KV head, each head checked, at a 64-wide head and an odd 13-wide one.
    @Test(arguments: cases)
    func everyGroupSizeFromOneToEightMatchesTheDoubleComputation(_ c: Case) {
        for heads in 1...8 {
            for hd in [64, 13] {
                Self.check(c, headDim: hd, heads: heads, counts: [1, 9, 65, 200], seed: UInt64(7 * heads + hd))
            }
        }
    }

    /// A key of +inf makes that position's score +inf: softmax's max is not
    /// finite, and every path spreads the weight evenly over the positions
    /// that hold it (`Softmax.inPlace`'s rule), so the output is the mean of
    /// their values — exactly, in every format.
    @Test(arguments: cases)
    func infiniteScoresShareTheWeightEvenly(_ c: Case) {
        let hd = 20, count = 40, hot = [3, 17, 33]
        var rng = TestRandom(5)
        var keys = rng.floats(count * hd)
        for t in hot { for d in 0..<hd { keys[t * hd + d] = .infinity } }
        let q = (0..<(2 * hd)).map { Float($0 % 5 + 1) / 4 }   // positive: q·k = +inf at the hot positions
        let (keyBytes, _) = Self.stored(keys, as: c.format)
        let (valueBytes, values) = Self.stored(rng.floats(count * hd), as: c.format)
        let out = Self.attend(c, q: q, heads: 2, keyBytes: keyBytes, valueBytes: valueBytes, count: count,
                              headDim: hd, scale: 0.25)
        let mean = (0..<hd).map { d in hot.reduce(Float(0)) { $0 + values[$1 * hd + d] / 3 } }
        #expect(maxAbsDiff(Array(out[0..<hd]), mean) < 1e-6, "\(c.testDescription) head 0")
        #expect(maxAbsDiff(Array(out[hd...]), mean) < 1e-6, "\(c.testDescription) head 1")
    }

    /// Query heads beyond the C kernels' 16 a pass (17 and 20: a second
    /// pass over the cache for the rest) and a head wider than a block (one
    /// position a block), against the Double computation.
    @Test(arguments: cases)
    func groupsWiderThanAPassAndHeadsWiderThanABlockMatchTheDoubleComputation(_ c: Case) {
        for heads in [17, 20] {
            Self.check(c, headDim: 13, heads: heads, counts: [1, 65, 200], seed: UInt64(heads))
            Self.check(c, headDim: 64, heads: heads, counts: [9, 130], seed: UInt64(heads + 1))
        }
        Self.check(c, headDim: 4104, heads: 2, counts: [1, 3], seed: 4104)
    }

    /// Scores ≈ `target(t)` at position t: every key row is target(t)/hd in
    /// each column plus noise, against a query of ones (scale 1).
    static func steered(_ c: Case, count: Int, heads: Int, target: (Int) -> Float, seed: UInt64)
        -> (q: [Float], keys: [Float], keyBytes: [UInt8], values: [Float], valueBytes: [UInt8]) {
        let hd = 64
        var rng = TestRandom(seed)
        let rows = (0..<count).flatMap { t in (0..<hd).map { _ in target(t) / Float(hd) + rng.float(0.01) } }
        let (keyBytes, keys) = stored(rows, as: c.format)
        let (valueBytes, values) = stored(rng.floats(count * hd), as: c.format)
        let q = (0..<(heads * hd)).map { Float(1 + $0 / hd) / Float(1 + heads / 2) }
        return (q, keys, keyBytes, values, valueBytes)
    }

    /// The online softmax's rescaling: scores spanning ±40 that rise through
    /// the cache (a new max in every block, each rescaling all that came
    /// before), fall (the max in the first block), or rise in a sawtooth
    /// whose peaks grow each 100 positions — every head against the Double
    /// computation of softmax over the whole row at once.
    @Test(arguments: cases)
    func runningMaximaThatGrowOrShrinkMatchTheDoubleComputation(_ c: Case) {
        let count = 700, hd = 64, heads = 3
        let shapes: [(String, (Int) -> Float)] = [
            ("rising", { Float($0) / Float(count) * 80 - 40 }),
            ("falling", { 40 - Float($0) / Float(count) * 80 }),
            ("sawtooth", { Float($0 % 100) / 100 * 8 + Float($0 / 100) * 4 - 20 }),
        ]
        for (name, target) in shapes {
            let x = Self.steered(c, count: count, heads: heads, target: target, seed: UInt64(name.count))
            let out = Self.attend(c, q: x.q, heads: heads, keyBytes: x.keyBytes, valueBytes: x.valueBytes,
                                  count: count, headDim: hd, scale: 1)
            for h in 0..<heads {
                let expected = Self.naive(q: x.q[(h * hd)..<((h + 1) * hd)], keys: x.keys, values: x.values,
                                          count: count, headDim: hd, scale: 1)
                #expect(maxAbsDiff(Array(out[(h * hd)..<((h + 1) * hd)]), expected) < 2e-6,
                        "\(c.testDescription), \(name) scores, head \(h)")
            }
        }
    }

    /// A NaN key element makes that position's score NaN in every head; as
    /// in torch.softmax the NaN reaches the sum and so every weight: the
    /// whole output is NaN, whether the NaN sits in the first block, a
    /// middle one or at the last position.
    @Test(arguments: cases)
    func aNaNScoreMakesEveryOutputOfItsRowNaN(_ c: Case) {
        let count = 300, hd = 64, heads = 2
        for position in [0, 150, count - 1] {
            var rng = TestRandom(UInt64(position))
            var keys = rng.floats(count * hd)
            keys[position * hd + 5] = .nan
            let (keyBytes, _) = Self.stored(keys, as: c.format)
            let (valueBytes, _) = Self.stored(rng.floats(count * hd), as: c.format)
            let out = Self.attend(c, q: rng.floats(heads * hd), heads: heads, keyBytes: keyBytes,
                                  valueBytes: valueBytes, count: count, headDim: hd, scale: 0.125)
            #expect(out.allSatisfy { $0.isNaN }, "\(c.testDescription), NaN at position \(position)")
        }
    }

    /// Keys of -inf under a positive query give scores of -inf, which weigh
    /// nothing: the first 140 positions (whole blocks before any finite
    /// score) and two later ones, against the Double computation over the
    /// rest. When every score is -inf the weight is spread evenly (the
    /// same rule as +inf maxima), so the output is the mean of all values.
    @Test(arguments: cases)
    func negativeInfiniteScoresWeighNothing(_ c: Case) {
        let count = 300, hd = 64, heads = 2
        var rng = TestRandom(9)
        let q = (0..<(heads * hd)).map { Float($0 % 7 + 1) / 8 }   // positive
        var keys = rng.floats(count * hd)
        for t in Array(0..<140) + [200, count - 1] { for d in 0..<hd { keys[t * hd + d] = -.infinity } }
        let (keyBytes, widenedKeys) = Self.stored(keys, as: c.format)
        let (valueBytes, values) = Self.stored(rng.floats(count * hd), as: c.format)
        let out = Self.attend(c, q: q, heads: heads, keyBytes: keyBytes, valueBytes: valueBytes, count: count,
                              headDim: hd, scale: 0.125)
        for h in 0..<heads {
            let expected = Self.naive(q: q[(h * hd)..<((h + 1) * hd)], keys: widenedKeys, values: values,
                                      count: count, headDim: hd, scale: 0.125)
            #expect(maxAbsDiff(Array(out[(h * hd)..<((h + 1) * hd)]), expected) < 2e-6,
                    "\(c.testDescription) head \(h)")
        }
        let (allBytes, _) = Self.stored([Float](repeating: -.infinity, count: count * hd), as: c.format)
        let uniform = Self.attend(c, q: q, heads: heads, keyBytes: allBytes, valueBytes: valueBytes, count: count,
                                  headDim: hd, scale: 0.125)
        let mean = (0..<hd).map { d in (0..<count).reduce(0.0) { $0 + Double(values[$1 * hd + d]) } / Double(count) }
        for h in 0..<heads {
            #expect(maxAbsDiff(Array(uniform[(h * hd)..<((h + 1) * hd)]), mean.map { Float($0) }) < 2e-6,
                    "\(c.testDescription) every score -inf, head \(h)")
        }
    }
}
