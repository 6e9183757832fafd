extension SIMD8 where Scalar == Float {
    /// self += a · b, fused only where the target has FMA in hardware
    /// (Package.swift defines LORAD_FMA with the x86-64 Haswell flags; every
    /// arm64 core has it): without it LLVM lowers `addProduct` to a libm
    /// `fmaf` call per lane, ~50× slower than a multiply and an add.
    @inline(__always)
    mutating func multiplyAdd(_ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        #if LORAD_FMA || arch(arm64)
        addProduct(a, b)
        #else
        self += a * b
        #endif
    }
}
