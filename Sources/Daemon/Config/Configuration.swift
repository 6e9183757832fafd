import Foundation
import Kernels

/// Every setting of `lorad serve`, with its default.
///
/// Sources, later ones winning: the defaults below, then the `--config` file
/// (`Configuration.load(file:)`), then command-line flags
/// (`apply(overrides:)`). The shipped `etc/lorad.conf` documents every key and
/// parses to exactly these defaults (a test keeps the two in step).
///
/// Relative paths (in the file or on the command line) are relative to the
/// working directory of the process, which the shipped unit sets to the state
/// directory (`/var/lib/lorad`).
///
/// The configuration holds token *file paths*, never tokens, so printing it
/// (`description`, `check-config`) cannot leak a secret; `readTokens()` turns
/// the paths into `BearerToken`s whose own description is redacted.
public struct Configuration: Equatable, Sendable {
    /// `listen`: TCP addresses to accept on (default `127.0.0.1:8080`).
    public var listen: [ListenAddress]
    /// `trusted_listen`: loopback addresses whose connections need no token
    /// (default none). For a sidecar in the same pod that calls the admin
    /// API without credentials — the Gateway API Inference Extension's
    /// lora-syncer sends none, to localhost:8000 by default. Loopback only,
    /// so no other machine reaches it; a reverse proxy on the same host must
    /// never forward to it.
    public var trustedListen: [ListenAddress]
    /// `model`: the Hugging Face model folder (default: see `defaultModelPath`).
    public var model: String
    /// `registry`: the SQLite adapter registry (default: see `defaultRegistryPath`).
    public var registry: String
    /// `admin_token_file`: bearer token for upload/delete/merge; nil = no auth.
    public var adminTokenFile: String?
    /// `inference_token_file`: bearer token for inference endpoints; nil = open.
    public var inferenceTokenFile: String?
    /// `adapter_cache_mb`: byte budget of resident (decoded F32) adapters.
    public var adapterCacheMB: Int
    /// `adapter_cache_overcommit_pct`: how far (in % of `adapter_cache_mb`)
    /// adapters in use by requests may exceed the budget (leased adapters are
    /// never evicted); a request needing another adapter beyond it gets 503.
    public var adapterCacheOvercommitPct: Int
    /// `max_batch`: sequences per decode step.
    public var maxBatch: Int
    /// `adapter_dirs`: folders (absolute paths) adapters may be read from:
    /// `POST /v1/load_lora_adapter` paths must lie inside one, and a request
    /// naming an unregistered adapter imports `DIR/NAME` from the first that
    /// has it. Empty: neither.
    public var adapterDirs: [String]
    /// `hf_hub_cache`: the Hugging Face hub cache a request naming an
    /// unregistered hub id `ORG/NAME` imports from
    /// (`models--ORG--NAME/snapshots/<refs/main>/`); `auto` (default) is
    /// huggingface_hub's own default folder, `off` none.
    public var hfHubCache: HubCacheSetting
    /// `max_loras`: distinct adapters the running batch may use at once
    /// (vLLM's `--max-loras`, reported as `max_lora` in `/metrics`); a request
    /// that would bring one more waits in the queue.
    public var maxLoras: Int
    /// `max_queue`: waiting requests before 503 + Retry-After.
    public var maxQueue: Int
    /// `kv_cache_mb`: budget of the key/value cache over all live sequences.
    public var kvCacheMB: Int
    /// `context_length`: most positions (prompt + generated) of one sequence;
    /// 0 = the model's `max_position_embeddings` (vLLM's `--max-model-len`,
    /// llama-server's `--ctx-size`). Larger values are capped at the model's.
    public var contextLength: Int
    /// `threads`: BLAS/compute threads (`auto` = number of cores).
    public var threads: Int
    /// `weights_dtype`: how the base model's matrices are held in memory;
    /// nil (`auto`) keeps the checkpoint's dtype (a BF16 checkpoint stays
    /// BF16), `f32`/`bf16`/`f16` convert at load (round to nearest even).
    public var weightsDType: WeightFormat?
    /// `kv_dtype`: how each sequence's cached keys and values are held:
    /// `f32`, `f16` or `bf16` (see `EngineConfiguration.kvFormat`); nil
    /// (`auto`, the default) follows the resident weights
    /// (`kvFormat(residentWeights:)`).
    public var kvDType: WeightFormat?
    /// `max_upload_mb`: largest accepted request body (adapter upload).
    public var maxUploadMB: Int
    /// `upload_buffer_mb`: bytes all in-flight uploads may buffer together
    /// (503 + Retry-After beyond).
    public var uploadBufferMB: Int
    /// `max_merge_downloads`: merge downloads (`POST /adapters/NAME/merge`)
    /// in progress at once (503 + Retry-After beyond).
    public var maxMergeDownloads: Int
    /// `header_timeout_s`: time allowed to send a complete request head.
    public var headerTimeoutSeconds: Double
    /// `idle_timeout_s`: keep-alive connections idle this long are closed.
    public var idleTimeoutSeconds: Double
    /// `body_timeout_s`: longest pause while a request body is awaited (408 beyond).
    public var bodyTimeoutSeconds: Double
    /// `body_min_rate_kib_s`: rate floor of a request body in KiB/s: the waits
    /// for body bytes may total `body_timeout_s` plus one second per this many
    /// KiB received (408 beyond); 0 = no floor.
    public var bodyMinRateKiB: Int
    /// `drain_timeout_s`: on SIGTERM, how long in-flight requests may finish
    /// (the unit's `TimeoutStopSec=` is set above it).
    public var drainTimeoutSeconds: Double
    /// `max_connections`: open client connections; more are refused.
    public var maxConnections: Int
    /// `log_level`: the least severe level written.
    public var logLevel: LogLevel
    /// `chat_template`: a `.jinja` file that replaces the model's own chat
    /// template (tokenizer_config.json / chat_template.jinja); nil = the model's.
    public var chatTemplate: String?
    /// `tool_call_parser`: how tool calls are read from chat output
    /// (`auto`: from the template's text; `hermes`, `llama3_json`, `none`).
    public var toolCallParser: ToolCallParserSetting
    /// `log_format`: `text` (journald-aware) or `json`.
    public var logFormat: LogFormat
    /// `generation_defaults`: the model's sampling defaults for fields a
    /// request leaves out, or lorad's own (`GenerationDefaultsSetting`).
    public var generationDefaults: GenerationDefaultsSetting

    /// The defaults for a process with this environment, executable and
    /// working directory (parameters exist for tests; the defaults describe
    /// the running process).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                executablePath: String? = Bundle.main.executablePath,
                currentDirectory: String = FileManager.default.currentDirectoryPath) {
        listen = [ListenAddress(family: .ipv4, host: "127.0.0.1", port: 8080)]
        trustedListen = []
        model = Configuration.defaultModelPath(executablePath: executablePath, currentDirectory: currentDirectory)
        registry = Configuration.defaultRegistryPath(environment: environment)
        adminTokenFile = nil
        inferenceTokenFile = nil
        adapterCacheMB = 512
        adapterCacheOvercommitPct = 100
        maxBatch = 8
        maxLoras = 32
        adapterDirs = []
        hfHubCache = .auto
        maxQueue = 64
        kvCacheMB = 256
        contextLength = 0
        threads = Configuration.defaultThreads
        weightsDType = nil
        kvDType = nil
        maxUploadMB = 256
        uploadBufferMB = 1024
        maxMergeDownloads = 4
        headerTimeoutSeconds = 10
        idleTimeoutSeconds = 60
        bodyTimeoutSeconds = 60
        bodyMinRateKiB = 1
        drainTimeoutSeconds = 30
        maxConnections = 1024
        logLevel = .info
        logFormat = .text
        generationDefaults = .model
        chatTemplate = nil
        toolCallParser = .auto
    }

    /// `threads = auto`: one per online core (`sysconf(_SC_NPROCESSORS_ONLN)`
    /// via Foundation). Memory-bound decode rarely gains past the core count.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The bundled demo model's folder name.
    public static let demoModelRelativePath = "models/tiny-llama"

    /// The default `model`: the first of these folders that holds a
    /// `config.json`, else the relative `models/tiny-llama` (which then fails
    /// to load with a message naming it):
    /// 1. `models/tiny-llama` under the working directory (a checkout, or the
    ///    state directory `/var/lib/lorad/models/tiny-llama` under systemd);
    /// 2. `models/tiny-llama` under the executable's directory or one of its
    ///    four nearest ancestors (`.build/<triple>/debug/lorad` in a checkout);
    /// 3. `<bindir>/../share/lorad/models/tiny-llama`, the install location
    ///    (`/usr/local/bin/lorad` → `/usr/local/share/lorad/models/tiny-llama`).
    public static func defaultModelPath(executablePath: String?, currentDirectory: String,
                                        isModelFolder: (String) -> Bool = Configuration.isModelFolder) -> String {
        var candidates = [(currentDirectory as NSString).appendingPathComponent(demoModelRelativePath)]
        if let exe = executablePath {
            var dir = ((exe as NSString).resolvingSymlinksInPath as NSString).deletingLastPathComponent
            let binDir = dir
            for _ in 0..<5 {
                candidates.append((dir as NSString).appendingPathComponent(demoModelRelativePath))
                let parent = (dir as NSString).deletingLastPathComponent
                if parent == dir { break }
                dir = parent
            }
            let share = ((binDir as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("share/lorad/models/tiny-llama")
            candidates.append(share)
        }
        return candidates.first(where: isModelFolder) ?? demoModelRelativePath
    }

    /// A folder with a `config.json` (what a Hugging Face model folder has).
    public static func isModelFolder(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("config.json"))
    }

    /// The default `registry`: `$STATE_DIRECTORY/registry.sqlite` when systemd
    /// provides a state directory (`StateDirectory=lorad` → `/var/lib/lorad`;
    /// the variable lists several directories separated by `:`, the first is
    /// used), else `lorad.sqlite` in the working directory.
    public static func defaultRegistryPath(environment: [String: String]) -> String {
        if let dirs = environment["STATE_DIRECTORY"],
           let first = dirs.split(separator: ":").first, !first.isEmpty {
            return (String(first) as NSString).appendingPathComponent("registry.sqlite")
        }
        return "lorad.sqlite"
    }
}
