/// How the portable kernels read one weight format: 8 elements widened to
/// F32 lanes, or one. Widening is exact (BF16 is F32's top half; F16 → F32
/// loses nothing), so every path computes with the same weight values.
protocol WeightElements {
    /// Bytes per element.
    static var byteSize: Int { get }
    /// Elements at byte offset `byte` of `p`, 8 of them, as F32.
    static func load8(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float>
    /// Element `index` of `p` as F32.
    static func load1(_ p: UnsafeRawPointer, _ index: Int) -> Float
}

enum F32Elements: WeightElements {
    static var byteSize: Int { 4 }
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: byte, as: SIMD8<Float>.self)
    }
    @inline(__always)
    static func load1(_ p: UnsafeRawPointer, _ index: Int) -> Float {
        p.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
    }
}

enum BF16Elements: WeightElements {
    static var byteSize: Int { 2 }
    /// Zero-extended into 32-bit lanes and shifted into the top half.
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float> {
        let bits = SIMD8<UInt32>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: byte, as: SIMD8<UInt16>.self))
        return unsafeBitCast(bits &<< 16, to: SIMD8<Float>.self)
    }
    @inline(__always)
    static func load1(_ p: UnsafeRawPointer, _ index: Int) -> Float {
        Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)) << 16)
    }
}

enum F16Elements: WeightElements {
    static var byteSize: Int { 2 }
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float> {
        let bits = p.loadUnaligned(fromByteOffset: byte, as: SIMD8<UInt16>.self)
        return SIMD8<Float>(unsafeBitCast(bits, to: SIMD8<Float16>.self))
    }
    @inline(__always)
    static func load1(_ p: UnsafeRawPointer, _ index: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)))
    }
}
