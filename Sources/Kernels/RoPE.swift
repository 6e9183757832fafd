import Foundation

/// Rotary position embedding in Hugging Face's "rotate half" layout
/// (transformers `apply_rotary_pos_emb` / `rotate_half`): dimension i is
/// paired with i + d/2, not with its neighbour (that would be the original
/// interleaved Meta layout, which HF checkpoints have been permuted away from).
///
///     q' = q · cos + rotate_half(q) · sin,  rotate_half(q) = (-q[d/2:], q[:d/2])
///     angle(pos, i) = pos · inv_freq[i mod d/2]
public struct RoPE: Sendable {
    /// (headDim / 2)
    public let inverseFrequencies: [Float]
    public let headDim: Int

    /// `inverseFrequencies` must hold headDim / 2 values (already adjusted by
    /// any rope scaling).
    public init(headDim: Int, inverseFrequencies: [Float]) {
        precondition(headDim % 2 == 0 && inverseFrequencies.count == headDim / 2,
                     "RoPE: callers validate headDim is even")
        self.headDim = headDim
        self.inverseFrequencies = inverseFrequencies
    }

    /// The default rope: inv_freq[i] = 1 / theta^(2i/d), computed in float32
    /// like transformers' `_compute_default_rope_parameters`
    /// (`base ** (arange(0, dim, 2).float() / dim)`).
    public static func defaultInverseFrequencies(headDim: Int, theta: Double) -> [Float] {
        (0..<(headDim / 2)).map { i in
            let exponent = Float(2 * i) / Float(headDim)
            return 1 / powf(Float(theta), exponent)
        }
    }

    /// Fills cos and sin (headDim / 2 each) for one position. transformers
    /// forms the angle as a float32 product and takes cos/sin in float32.
    public func angles(position: Int, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let p = Float(position)
        for i in 0..<(headDim / 2) {
            let angle = p * inverseFrequencies[i]
            cos[i] = Foundation.cos(angle)
            sin[i] = Foundation.sin(angle)
        }
    }

    /// Rotates `heads` consecutive vectors of headDim in place with the
    /// angles of one position (cos, sin: headDim / 2 each).
    @inline(__always)
    public func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int,
                       cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = headDim / 2
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let a = v[i], b = v[i + half]
                // out[i] = a·cos − b·sin ; out[i+half] = b·cos + a·sin
                v[i] = a * cos[i] - b * sin[i]
                v[i + half] = b * cos[i] + a * sin[i]
            }
        }
    }
}
