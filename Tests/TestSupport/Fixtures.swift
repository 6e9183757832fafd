import Foundation

/// Paths to the repository's copies of the shared golden fixtures.
///
/// Everything is resolved from this file's location so `swift test` works on a
/// fresh clone, from any working directory, with nothing outside the repository.
public enum Fixtures {
    /// The repository root (…/Tests/TestSupport/Fixtures.swift → …/).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // TestSupport
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // repo

    /// `Tests/Fixtures`: references, adapters, merged model, bf16 model.
    public static let directory = repoRoot.appendingPathComponent("Tests/Fixtures")

    /// The F32 tiny Llama (the bundled demo model, identical to fixtures/tiny-llama).
    public static let tinyLlama = repoRoot.appendingPathComponent("models/tiny-llama")
    public static let tinyLlamaBF16 = directory.appendingPathComponent("tiny-llama-bf16")
    /// tiny-llama cast to F16 by torch (make_sixteen_bit_references.py).
    public static let tinyLlamaF16 = directory.appendingPathComponent("tiny-llama-f16")
    /// references-sixteen-bit.json: transformers' float32 compute over
    /// tiny-llama-f16's and tiny-llama-bf16's weights widened exactly.
    public static let sixteenBitReferences = directory.appendingPathComponent("references-sixteen-bit.json")
    public static let tokenizerFolder = directory.appendingPathComponent("tokenizer")
    public static let references = directory.appendingPathComponent("references.json")
    public static let tokenizerReferences = directory.appendingPathComponent("tokenizer-references.json")
    public static let mergedPythonQV = directory.appendingPathComponent("merged/python-qv-r8")
    /// references-qwen.json: tiny-qwen2 (q/k/v biases, tied), its BF16 copy,
    /// tiny-qwen3 (q/k norms, head_dim 48), their adapters and a merged model.
    public static let qwenReferences = directory.appendingPathComponent("references-qwen.json")
    public static let tinyQwen2 = directory.appendingPathComponent("tiny-qwen2")
    public static let tinyQwen2BF16 = directory.appendingPathComponent("tiny-qwen2-bf16")
    public static let tinyQwen3 = directory.appendingPathComponent("tiny-qwen3")
    public static let mergedQwen2PythonQV = directory.appendingPathComponent("merged/qwen2-python-qv-r8")
    /// DoRA (PEFT `use_dora`): references of both DoRA adapters and their merged model.
    public static let doraReferences = directory.appendingPathComponent("references-dora.json")
    public static let mergedDoRAQV = directory.appendingPathComponent("merged/dora-qv-r8")

    public static func adapter(_ name: String) -> URL {
        directory.appendingPathComponent("adapters").appendingPathComponent(name)
    }

    /// Every plain LoRA adapter folder of tiny-llama in the fixtures.
    public static let adapterNames = ["python-qv-r8", "upper-all-r4", "rslora-qkvo-r16"]
    /// The adapters of tiny-qwen2 and tiny-qwen3.
    public static let qwenAdapterNames = ["qwen2-python-qv-r8", "qwen2-upper-all-r4", "qwen3-python-qkvo-r8"]
    /// Every DoRA adapter folder (of tiny-llama) in the fixtures.
    public static let doraAdapterNames = ["dora-qv-r8", "dora-all-r4-rslora"]

    /// The folder every test's scratch folders live in: one per test
    /// process, removed when the process exits normally, so that repeated
    /// runs do not leave thousands of folders (and registries, models) in
    /// the system's temporary directory.
    public static let scratchRoot: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lorad-tests-\(getpid())")
        try? FileManager.default.removeItem(at: root)   // a crashed run's, with a recycled pid
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Fixtures.scratchRoot) }
        return root
    }()

    /// A fresh, empty temporary directory for one test.
    public static func temporaryDirectory(_ label: String = "lorad-test") throws -> URL {
        let url = scratchRoot.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
