import Foundation

/// Which implementation of the matrix-vector kernels runs: chosen once per
/// process from what the CPU supports (cpuid, and XCR0 for the vector state
/// the OS saves), or forced with the `LORAD_KERNEL_PATH` environment
/// variable so a machine with AVX-512 can still run the AVX2 or the
/// portable path (CI exercises every path it has, tests pass the path
/// explicitly). A forced path the CPU lacks is refused, never executed.
///
/// avx512_bf16's `vdpbf16ps` (and AMX) multiply BF16 by BF16: they would
/// round the activations to BF16, and lorad keeps activations in F32 (a
/// 16-bit model must compute what F32 compute on its widened weights
/// computes). The AVX-512 path runs on those CPUs; the feature is reported.
public enum KernelPath: String, Sendable, CaseIterable {
    /// Swift SIMD8 loops: NEON on arm64, the Kernels target's codegen on x86-64.
    case portable
    /// C intrinsics: AVX2, FMA, F16C (`vcvtph2ps`).
    case avx2
    /// C intrinsics: AVX-512 F, BW, VL; 16 lanes a vector.
    case avx512

    /// The environment variable that forces a path (`portable`, `avx2`, `avx512`).
    public static let environmentKey = "LORAD_KERNEL_PATH"

    /// The paths this CPU can run, slowest-to-fastest order.
    public static let available: [KernelPath] = paths(features: CPUFeatures.detected)

    /// The path every kernel call uses unless a caller (a test) passes one.
    public static var active: KernelPath { selection.path }

    /// The process's choice and why, for the start-up log and `lorad bench`.
    public static let selection: Selection = choose(requested: environmentValue(), available: available)

    /// The chosen path and, when a forced one was refused, the reason.
    public struct Selection: Sendable, Equatable {
        public let path: KernelPath
        /// Set when `LORAD_KERNEL_PATH` named a path that is not used.
        public let refusal: String?
    }

    /// The paths a CPU with `features` runs.
    static func paths(features: CPUFeatures) -> [KernelPath] {
        var paths: [KernelPath] = [.portable]
        if features.avx2 { paths.append(.avx2) }
        if features.avx512 { paths.append(.avx512) }
        return paths
    }

    /// The fastest available path, or the requested one if it is available.
    static func choose(requested: String?, available: [KernelPath]) -> Selection {
        let best = available.last ?? .portable
        guard let requested, !requested.isEmpty else { return Selection(path: best, refusal: nil) }
        guard let path = KernelPath(rawValue: requested.lowercased()) else {
            let names = allCases.map(\.rawValue).joined(separator: ", ")
            return Selection(path: best, refusal: "\(environmentKey)=\(requested) is not one of \(names); using \(best.rawValue)")
        }
        guard available.contains(path) else {
            return Selection(path: best, refusal: "\(environmentKey)=\(requested): this CPU lacks it; using \(best.rawValue)")
        }
        return Selection(path: path, refusal: nil)
    }

    private static func environmentValue() -> String? {
        guard let raw = getenv(environmentKey) else { return nil }
        return String(cString: raw)
    }

    /// "avx2 (CPU: AVX2 FMA F16C)" — what the start-up log and the bench print.
    public static var summary: String {
        var text = "\(active.rawValue) (CPU: \(CPUFeatures.detected.description))"
        if let refusal = selection.refusal { text += "; \(refusal)" }
        return text
    }
}

