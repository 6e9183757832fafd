/// Small F32 vector helpers the forward pass needs between matmuls.
///
/// Written as plain loops over raw pointers: the compiler vectorises the
/// element-wise ones; the reductions use an explicit SIMD accumulator
/// because float addition is not associative and LLVM will not reorder it
/// on its own.
public enum VectorMath {
    /// y[i] += x[i] for i in 0..<count (the residual add).
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    /// y[i] += alpha · x[i] for i in 0..<count.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// y[i] *= x[i] for i in 0..<count (a per-element scale, DoRA's g ⊙ y).
    @inline(__always)
    public static func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] *= x[i] }
    }

    /// Σ a[i]·b[i], F32 accumulation in 16 lanes.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        let vectorEnd = count & ~15
        var byte = 0
        // wrapping offsets: no overflow checks in the loop
        while byte < vectorEnd &* 4 {
            let va = ra.loadUnaligned(fromByteOffset: byte, as: SIMD16<Float>.self)
            let vb = rb.loadUnaligned(fromByteOffset: byte, as: SIMD16<Float>.self)
            acc += va * vb
            byte &+= 64
        }
        var i = vectorEnd
        var sum = acc.sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// Σ x[i]², F32 accumulation in 16 lanes.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
        dot(x, x, count: count)
    }

    /// True when no element is NaN or ±inf. x − x is 0 for every finite x and
    /// NaN otherwise, and a sum of zeros stays exactly 0, so one SIMD pass
    /// decides it without a branch per element.
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var acc = SIMD16<Float>(repeating: 0)
        let raw = UnsafeRawPointer(x)
        let vectorEnd = count & ~15
        var byte = 0
        while byte < vectorEnd &* 4 {
            let v = raw.loadUnaligned(fromByteOffset: byte, as: SIMD16<Float>.self)
            acc += v - v
            byte &+= 64
        }
        var sum = acc.sum()
        for i in vectorEnd..<count { sum += x[i] - x[i] }
        return sum == 0
    }

    /// Index of the largest element; the first one on ties (as `torch.argmax`).
    /// NaN never wins. Returns 0 for an empty input.
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<count where x[i] > bestValue {
            best = i
            bestValue = x[i]
        }
        return best
    }

    /// Array convenience for `argmax(_:count:)`.
    public static func argmax(_ x: [Float]) -> Int {
        x.withUnsafeBufferPointer { argmax($0.baseAddress!, count: $0.count) }
    }
}
