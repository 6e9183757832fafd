// swift-tools-version:6.0
// lorad — a LoRA adapter-serving daemon. No package dependencies: OpenBLAS and
// SQLite come in as system libraries through module maps (Sources/C*).
//
// Dependency flow is one-way (see README "Layout"):
//   COpenBLAS, CKernels → Kernels → LoRA → Llama → (Serving) → Daemon → lorad
//   SafeTensors → LoRA, Llama, Serving Tokenization → Serving
//   FileReading → SafeTensors, Tokenization, LoRA, Llama, Serving, Registry, Daemon, lorad (the one way to read a file)
//   OrderedJSON → SafeTensors, LoRA, Llama, Tokenization, Registry, Daemon, ChatTemplating (the one JSON reader)
//   CSQLite → Registry → Daemon        HTTP1 → Daemon
//   AdapterNaming → Registry, Serving (the one rule for an adapter's name)
//   Metrics → Daemon (Prometheus client)  Systemd → lorad (sd_notify, signals)
//   CThreadStack → ChatTemplating → Daemon (chat templates: our own Jinja)
//   Daemon → CLI → lorad, Bench (the `lorad-bench` executable; lorad does not link it)
// Only Kernels imports COpenBLAS and CKernels; only Registry imports CSQLite; HTTP1 knows
// nothing about models.
//
// Linux only: HTTP1's event loops are epoll and its sockets Glibc (Systemd
// and the process metrics read Linux interfaces too), so no other platform
// is declared.
import PackageDescription

/// The numeric hot paths (SIMD loops in Kernels, LoRA and Llama) are compiled
/// with -O even in debug builds: unoptimised SIMD code is ~50× slower, which
/// would make the fidelity tests (hundreds of forward passes) take minutes.
/// ChatTemplating too: its tests render thousands of templates, and its
/// stack guard expects release-sized frames.
let optimizedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// Kernels' SIMD8 loops (BatchedGEMV) need AVX2 + FMA to beat the memory
/// bound at batch 8; the baseline x86-64 target is SSE2 only and measured
/// ~2× slower there. `haswell` (AVX2, FMA, BMI2, F16C) is what every x86-64
/// server since 2013 (Intel Haswell, AMD Zen) has; the trade-off is that the
/// binary dies with SIGILL on older or Atom-class x86 cores. The manifest is
/// compiled for the building host, so `#if arch` selects by the host's
/// architecture: arm64 hosts get no flag (NEON has FMA: LORAD_FMA is implied
/// there); cross-compiling from x86-64 to arm64 would need this removed.
/// Only the Kernels target gets it.
#if arch(x86_64)
let kernelCodegen: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"]), .define("LORAD_FMA")]
#else
let kernelCodegen: [SwiftSetting] = []
#endif

let package = Package(
    name: "lorad",
    products: [
        .executable(name: "lorad", targets: ["lorad"]),
        .executable(name: "lorad-bench", targets: ["Bench"]),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CPUHints", path: "Sources/CPUHints"),
        .systemLibrary(name: "CThreadStack", path: "Sources/CThreadStack"),

        // Our own C: the x86-64 SIMD kernels, one function per instruction
        // set (per-function target attributes) so AVX2 and AVX-512 live in
        // one binary and KernelPath picks at start-up. -O2 even in debug for
        // the same reason as `optimizedEvenInDebug`.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CPUHints", "CKernels"], swiftSettings: optimizedEvenInDebug + kernelCodegen),
        .target(name: "FileReading"),
        .target(name: "SafeTensors", dependencies: ["OrderedJSON", "FileReading"]),
        .target(name: "OrderedJSON"),
        .target(name: "Tokenization", dependencies: ["OrderedJSON", "FileReading"]),
        .target(name: "ChatTemplating", dependencies: ["OrderedJSON", "CThreadStack"], swiftSettings: optimizedEvenInDebug),
        .target(name: "LoRA", dependencies: ["Kernels", "SafeTensors", "OrderedJSON", "FileReading"], swiftSettings: optimizedEvenInDebug),
        .target(name: "Llama", dependencies: ["Kernels", "SafeTensors", "LoRA", "OrderedJSON", "FileReading"], swiftSettings: optimizedEvenInDebug),
        .target(name: "AdapterNaming"),
        .target(name: "Serving", dependencies: ["Kernels", "Llama", "LoRA", "SafeTensors", "Tokenization", "AdapterNaming", "FileReading"]),
        .target(name: "Registry", dependencies: ["CSQLite", "AdapterNaming", "OrderedJSON", "FileReading"]),
        .target(name: "HTTP1"),
        .target(name: "Metrics"),
        .target(name: "Systemd"),
        .target(name: "Daemon", dependencies: ["AdapterNaming", "Kernels", "OrderedJSON", "ChatTemplating", "HTTP1", "Registry", "Serving", "LoRA", "Llama", "Tokenization", "SafeTensors", "Metrics", "FileReading"]),
        // Argument parsing, subcommand dispatch and output shared by both executables.
        .target(name: "CLI", dependencies: ["Daemon"]),
        .executableTarget(name: "lorad", dependencies: ["AdapterNaming", "CLI", "Daemon", "Registry", "Serving", "Llama", "LoRA", "Tokenization", "SafeTensors", "Kernels", "Systemd", "ChatTemplating", "OrderedJSON", "FileReading"]),
        // `lorad-bench`: the benchmarks, kept out of the daemon binary.
        .executableTarget(name: "Bench", dependencies: ["CLI", "Daemon", "HTTP1", "Serving", "Llama", "LoRA", "Tokenization", "SafeTensors", "Kernels", "ChatTemplating", "OrderedJSON"]),

        // Test-only helper: locates the repository's fixtures from #filePath so
        // tests run from a fresh clone with nothing outside the repository
        // (and holds a registry's write lock as another process would).
        // Test-only: glibc's malloc.h, for leak checks on the live heap.
        .systemLibrary(name: "CMallocInfo", path: "Tests/CMallocInfo"),
        .target(name: "TestSupport", dependencies: ["SafeTensors", "Registry", "CMallocInfo"], path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "SafeTensors"]),
        .testTarget(name: "OrderedJSONTests", dependencies: ["OrderedJSON"]),
        .testTarget(name: "FileReadingTests", dependencies: ["FileReading", "TestSupport"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["ChatTemplating", "OrderedJSON", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"]),
        .testTarget(name: "LoRATests", dependencies: ["LoRA", "OrderedJSON", "Llama", "SafeTensors", "TestSupport"]),
        .testTarget(name: "LlamaTests", dependencies: ["Llama", "SafeTensors", "TestSupport", "Kernels", "LoRA"]),
        .testTarget(name: "ServingTests", dependencies: ["Kernels", "Serving", "LoRA", "Llama", "Tokenization", "TestSupport"]),
        .testTarget(name: "AdapterNamingTests", dependencies: ["AdapterNaming", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "AdapterNaming", "TestSupport"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Kernels", "Llama", "OrderedJSON", "SafeTensors", "LoRA", "TestSupport", "HTTP1", "Registry", "Serving"]),
        // Every test that runs the built `lorad` binary (`LoradBinary`, `LoradProcess`).
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Llama", "LoRA", "Registry", "SafeTensors", "OrderedJSON"]),
    ],
    swiftLanguageModes: [.v6]
)
