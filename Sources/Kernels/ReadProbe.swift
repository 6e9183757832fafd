/// The read side of a memory-bandwidth measurement, compiled like the
/// kernels (AVX2 + FMA on x86-64) and run on the same threads, so the bound
/// `lorad bench` divides by is what a decode step's loads could reach.
///
/// Why not a plain `for x in buffer { s += x }`: float addition is not
/// associative, so the compiler keeps one scalar add chain and the loop is
/// add-latency bound (~2 GB/s a core here), not memory bound.
public enum ReadProbe {
    /// Σ p[0..<count] with 8 independent 8-lane accumulators (64 floats, four
    /// cache lines a loop: enough loads in flight to stream).
    public static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
        let raw = UnsafeRawPointer(p)
        var byte = 0
        let end = (count & ~63) &* 4
        while byte < end {
            a0 += raw.loadUnaligned(fromByteOffset: byte, as: SIMD8<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: byte &+ 32, as: SIMD8<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: byte &+ 64, as: SIMD8<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: byte &+ 96, as: SIMD8<Float>.self)
            a4 += raw.loadUnaligned(fromByteOffset: byte &+ 128, as: SIMD8<Float>.self)
            a5 += raw.loadUnaligned(fromByteOffset: byte &+ 160, as: SIMD8<Float>.self)
            a6 += raw.loadUnaligned(fromByteOffset: byte &+ 192, as: SIMD8<Float>.self)
            a7 += raw.loadUnaligned(fromByteOffset: byte &+ 224, as: SIMD8<Float>.self)
            byte &+= 256
        }
        var s = ((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7))).sum()
        var i = count & ~63
        while i < count { s += p[i]; i += 1 }
        return s
    }
}
