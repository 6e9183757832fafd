import Foundation
import Testing
@testable import Kernels

@Suite struct DecodeAttentionTests {
    /// softmax(q·Kᵀ·scale)·V in Double, the second computation.
    static func naive(q: [Float], cache k: [Float], _ v: [Float], stride: Int, offset: Int, count: Int,
                      headDim: Int, scale: Float) -> [Float] {
        var s = (0..<count).map { t in
            (0..<headDim).reduce(0.0) { $0 + Double(q[$1]) * Double(k[t * stride + offset + $1]) } * Double(scale)
        }
        let m = s.max() ?? 0
        s = s.map { Foundation.exp($0 - m) }
        let z = s.reduce(0, +)
        return (0..<headDim).map { d in Float((0..<count).reduce(0.0) { $0 + s[$1] / z * Double(v[$1 * stride + offset + d]) }) }
    }

    /// 64 and 128 take the register-blocked path, 48 the generic loops; the
    /// head sits at a non-zero column offset inside a wider cache row, as a
    /// KV head other than the first does.
    @Test(arguments: [64, 128, 48])
    func headMatchesTheNaiveComputation(headDim: Int) {
        var rng = TestRandom(UInt64(headDim))
        let stride = headDim * 3, offset = headDim
        for count in [1, 5, 37, 130] {
            let q = rng.floats(headDim, scale: 2), k = rng.floats(count * stride, scale: 2), v = rng.floats(count * stride)
            var scores = [Float](repeating: .nan, count: count), out = [Float](repeating: .nan, count: headDim)
            let scale = 1 / Float(headDim).squareRoot()
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                DecodeAttention.group(q: qp.baseAddress!, heads: 1, keys: kp.baseAddress! + offset,
                                      values: vp.baseAddress! + offset, stride: stride, count: count,
                                      headDim: headDim, scale: scale, scores: &scores, out: &out)
            } } }
            let expected = Self.naive(q: q, cache: k, v, stride: stride, offset: offset, count: count, headDim: headDim, scale: scale)
            #expect(maxAbsDiff(out, expected) < 2e-6, "headDim \(headDim) count \(count)")
        }
    }

    /// Three query heads sharing one KV head, over counts that end inside,
    /// at and past the 64-position blocks: each head equals the naive result.
    @Test(arguments: [64, 128, 48])
    func groupMatchesEachHeadComputedAlone(headDim: Int) {
        var rng = TestRandom(UInt64(7 * headDim))
        let heads = 3, stride = headDim * 2, offset = headDim
        for count in [1, 63, 64, 65, 200] {
            let q = rng.floats(heads * headDim, scale: 2), k = rng.floats(count * stride, scale: 2), v = rng.floats(count * stride)
            var scores = [Float](repeating: .nan, count: heads * count), out = [Float](repeating: .nan, count: heads * headDim)
            let scale = 1 / Float(headDim).squareRoot()
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                DecodeAttention.group(q: qp.baseAddress!, heads: heads, keys: kp.baseAddress! + offset,
                                      values: vp.baseAddress! + offset, stride: stride, count: count,
                                      headDim: headDim, scale: scale, scores: &scores, out: &out)
            } } }
            for h in 0..<heads {
                let expected = Self.naive(q: Array(q[(h * headDim)..<((h + 1) * headDim)]), cache: k, v, stride: stride,
                                          offset: offset, count: count, headDim: headDim, scale: scale)
                #expect(maxAbsDiff(Array(out[(h * headDim)..<((h + 1) * headDim)]), expected) < 2e-6,
                        "headDim \(headDim) count \(count) head \(h)")
            }
        }
    }
}
