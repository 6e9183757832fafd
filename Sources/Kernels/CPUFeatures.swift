import CKernels

/// The instruction-set extensions the kernels dispatch on, read once from
/// cpuid and XCR0 (`lorad_cpu_features`); all false on other architectures.
public struct CPUFeatures: Sendable, Equatable {
    /// AVX2, FMA and F16C, with the OS saving YMM state.
    public var avx2 = false
    /// AVX-512 F, BW and VL, with the OS saving ZMM and opmask state.
    public var avx512 = false
    /// AVX512_BF16 (reported, not used: see `KernelPath`).
    public var avx512BF16 = false

    public static let detected: CPUFeatures = {
        var f = CPUFeatures()
        #if arch(x86_64)
        let bits = lorad_cpu_features()
        f.avx2 = bits & UInt32(LORAD_CPU_AVX2) != 0
        f.avx512 = bits & UInt32(LORAD_CPU_AVX512) != 0
        f.avx512BF16 = bits & UInt32(LORAD_CPU_AVX512_BF16) != 0
        #endif
        return f
    }()

    /// "AVX2 FMA F16C, AVX-512 F/BW/VL, AVX512_BF16 (unused)", or "NEON" / "baseline".
    public var description: String {
        var parts: [String] = []
        if avx2 { parts.append("AVX2 FMA F16C") }
        if avx512 { parts.append("AVX-512 F/BW/VL") }
        if avx512BF16 { parts.append("AVX512_BF16 (unused)") }
        #if arch(arm64)
        parts.append("NEON")
        #endif
        if !avx512 && avx2 { parts.append("no AVX-512") }
        return parts.isEmpty ? "baseline" : parts.joined(separator: ", ")
    }
}
