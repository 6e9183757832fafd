import Foundation

/// Numerically stable softmax: subtract the max before exponentiating, as
/// `torch.softmax` does, so large logits cannot overflow.
public enum Softmax {
    /// x ← softmax(x) over `count` elements. Entries of -inf get probability 0.
    public static func inPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maxValue = -Float.infinity
        for i in 0..<count where x[i] > maxValue { maxValue = x[i] }
        guard maxValue.isFinite else {
            // All -inf (or +inf present): fall back to uniform over the maxima.
            var n = 0
            for i in 0..<count where x[i] == maxValue { n += 1 }
            for i in 0..<count { x[i] = (x[i] == maxValue && n > 0) ? 1 / Float(n) : 0 }
            return
        }
        for i in 0..<count { x[i] -= maxValue }
        VectorMath.expInPlace(x, count: count)
        // A plain running sum, in index order: the sampler relies on the same
        // scores giving the same probabilities however they were gathered.
        var sum: Float = 0
        for i in 0..<count { sum += x[i] }
        let inv = 1 / sum
        for i in 0..<count { x[i] *= inv }
    }

    /// Array convenience.
    public static func apply(_ x: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { inPlace($0.baseAddress!, count: $0.count) }
        return y
    }
}
