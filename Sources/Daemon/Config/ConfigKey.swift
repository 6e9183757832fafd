import Kernels

/// The configuration keys: one table drives file parsing, command-line flags
/// (`flagName`), rendering and the error messages' "expected …" text.
public enum ConfigKey: String, CaseIterable, Sendable {
    case listen
    case trustedListen = "trusted_listen"
    case model
    case registry
    case adapterDirs = "adapter_dirs"
    case hfHubCache = "hf_hub_cache"
    case adminTokenFile = "admin_token_file"
    case inferenceTokenFile = "inference_token_file"
    case adapterCacheMB = "adapter_cache_mb"
    case adapterCacheOvercommitPct = "adapter_cache_overcommit_pct"
    case maxBatch = "max_batch"
    case maxLoras = "max_loras"
    case maxQueue = "max_queue"
    case kvCacheMB = "kv_cache_mb"
    case contextLength = "context_length"
    case threads
    case weightsDType = "weights_dtype"
    case kvDType = "kv_dtype"
    case maxUploadMB = "max_upload_mb"
    case uploadBufferMB = "upload_buffer_mb"
    case maxMergeDownloads = "max_merge_downloads"
    case headerTimeoutSeconds = "header_timeout_s"
    case idleTimeoutSeconds = "idle_timeout_s"
    case bodyTimeoutSeconds = "body_timeout_s"
    case bodyMinRateKiB = "body_min_rate_kib_s"
    case drainTimeoutSeconds = "drain_timeout_s"
    case maxConnections = "max_connections"
    case logLevel = "log_level"
    case logFormat = "log_format"
    case chatTemplate = "chat_template"
    case toolCallParser = "tool_call_parser"
    case generationDefaults = "generation_defaults"

    /// The command-line spelling: the key with `-` for `_` (`--max-batch 8`).
    public var flagName: String { rawValue.replacingUnderscores() }

    /// The key for a flag name, if any.
    public init?(flagName: String) {
        guard let key = ConfigKey.allCases.first(where: { $0.flagName == flagName }) else { return nil }
        self = key
    }

    /// What a valid value looks like, for error messages.
    public var expected: String {
        switch self {
        case .listen: return "a comma-separated list of host:port or [ipv6]:port addresses"
        case .trustedListen: return "a comma-separated list of loopback addresses (127.x.x.x:port, localhost:port, [::1]:port), or nothing"
        case .model, .registry: return "a non-empty path"
        case .adapterDirs: return "a comma-separated list of absolute folder paths, or nothing"
        case .hfHubCache: return "auto, off, or an absolute folder path"
        case .adminTokenFile, .inferenceTokenFile: return "a path, or nothing to disable"
        case .chatTemplate: return "a path to a .jinja file, or nothing for the model's own template"
        case .toolCallParser: return ToolCallParserSetting.spellings.joined(separator: ", ")
        case .threads: return "'auto' or an integer in \(ConfigKey.threadRange)"
        case .weightsDType, .kvDType: return "auto, " + WeightFormat.allCases.map(\.rawValue).joined(separator: ", ")
        case .logLevel: return LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
        case .logFormat: return LogFormat.allCases.map(\.rawValue).joined(separator: ", ")
        case .generationDefaults: return GenerationDefaultsSetting.allCases.map(\.rawValue).joined(separator: ", ")
        case .headerTimeoutSeconds, .idleTimeoutSeconds, .bodyTimeoutSeconds:
            return "a number of seconds in (0, \(Int(ConfigKey.maxSeconds))]"
        case .drainTimeoutSeconds:
            return "a number of seconds in [0, \(Int(ConfigKey.maxSeconds))]"
        default:
            let r = intRange
            return "an integer in \(r.lowerBound)...\(r.upperBound)"
        }
    }

    static let threadRange = 1...1024
    static let maxSeconds = 86_400.0

    /// Ranges of the integer keys. Upper bounds only catch typos (an extra
    /// zero), they are not capacity limits.
    var intRange: ClosedRange<Int> {
        switch self {
        case .adapterCacheMB, .kvCacheMB: return 1...1_048_576
        case .maxBatch: return 1...1024
        case .maxLoras: return 1...1024
        case .maxQueue: return 1...1_000_000
        case .maxUploadMB: return 1...65_536
        case .uploadBufferMB: return 1...1_048_576
        case .maxMergeDownloads: return 1...1024
        case .maxConnections: return 1...1_000_000
        case .bodyMinRateKiB: return 0...1_048_576
        case .contextLength: return 0...16_777_216
        case .adapterCacheOvercommitPct: return 0...10_000
        case .threads: return ConfigKey.threadRange
        default: return 0...0
        }
    }

    /// Stores `value` into `configuration`; false when it does not parse.
    func set(_ value: String, in c: inout Configuration) -> Bool {
        switch self {
        case .listen:
            let parts = value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
            let addresses = parts.compactMap { ListenAddress(parsing: String($0)) }
            guard !parts.isEmpty, addresses.count == parts.count else { return false }
            c.listen = addresses
        case .trustedListen:
            let parts = value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
            let addresses = parts.compactMap { ListenAddress(parsing: String($0)) }
            // Only loopback: a connection here skips every token, so it must
            // not be reachable from another machine (see Configuration).
            guard addresses.count == parts.count, addresses.allSatisfy(\.isLoopback) else { return false }
            c.trustedListen = addresses
        case .model:
            guard !value.isEmpty else { return false }
            c.model = value
        case .registry:
            guard !value.isEmpty else { return false }
            c.registry = value
        case .adapterDirs:
            let parts = value.split(separator: ",").map { String($0.trimmingSpaces()) }.filter { !$0.isEmpty }
            guard parts.allSatisfy({ $0.hasPrefix("/") }) else { return false }
            c.adapterDirs = parts
        case .hfHubCache:
            guard let setting = HubCacheSetting(spelling: value) else { return false }
            c.hfHubCache = setting
        case .adminTokenFile: c.adminTokenFile = value.isEmpty ? nil : value
        case .inferenceTokenFile: c.inferenceTokenFile = value.isEmpty ? nil : value
        case .chatTemplate: c.chatTemplate = value.isEmpty ? nil : value
        case .toolCallParser:
            guard let setting = ToolCallParserSetting(rawValue: value) else { return false }
            c.toolCallParser = setting
        case .adapterCacheMB: return setInt(value, &c.adapterCacheMB)
        case .maxBatch: return setInt(value, &c.maxBatch)
        case .maxLoras: return setInt(value, &c.maxLoras)
        case .maxQueue: return setInt(value, &c.maxQueue)
        case .kvCacheMB: return setInt(value, &c.kvCacheMB)
        case .contextLength: return setInt(value, &c.contextLength)
        case .adapterCacheOvercommitPct: return setInt(value, &c.adapterCacheOvercommitPct)
        case .maxUploadMB: return setInt(value, &c.maxUploadMB)
        case .uploadBufferMB: return setInt(value, &c.uploadBufferMB)
        case .maxMergeDownloads: return setInt(value, &c.maxMergeDownloads)
        case .maxConnections: return setInt(value, &c.maxConnections)
        case .threads:
            if value == "auto" { c.threads = Configuration.defaultThreads; return true }
            return setInt(value, &c.threads)
        case .weightsDType:
            if value == "auto" { c.weightsDType = nil; return true }
            guard let format = WeightFormat(rawValue: value) else { return false }
            c.weightsDType = format
        case .kvDType:
            if value == "auto" { c.kvDType = nil; return true }
            guard let format = WeightFormat(rawValue: value) else { return false }
            c.kvDType = format
        case .headerTimeoutSeconds: return setSeconds(value, &c.headerTimeoutSeconds, allowZero: false)
        case .idleTimeoutSeconds: return setSeconds(value, &c.idleTimeoutSeconds, allowZero: false)
        case .bodyTimeoutSeconds: return setSeconds(value, &c.bodyTimeoutSeconds, allowZero: false)
        case .bodyMinRateKiB: return setInt(value, &c.bodyMinRateKiB)
        case .drainTimeoutSeconds: return setSeconds(value, &c.drainTimeoutSeconds, allowZero: true)
        case .logLevel:
            guard let level = LogLevel(rawValue: value) else { return false }
            c.logLevel = level
        case .logFormat:
            guard let format = LogFormat(rawValue: value) else { return false }
            c.logFormat = format
        case .generationDefaults:
            guard let setting = GenerationDefaultsSetting(rawValue: value) else { return false }
            c.generationDefaults = setting
        }
        return true
    }

    private func setInt(_ value: String, _ target: inout Int) -> Bool {
        guard let v = Int(value), intRange.contains(v) else { return false }
        target = v
        return true
    }

    private func setSeconds(_ value: String, _ target: inout Double, allowZero: Bool) -> Bool {
        // Plain decimal numbers only: Double("0x1p3") / "nan" / "inf" would parse.
        guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let v = Double(value), v.isFinite, v <= ConfigKey.maxSeconds,
              allowZero ? v >= 0 : v > 0 else { return false }
        target = v
        return true
    }

    /// The value of this key in `c`, spelled as the file would have it.
    func value(in c: Configuration) -> String {
        switch self {
        case .listen: return c.listen.map(\.description).joined(separator: ", ")
        case .trustedListen: return c.trustedListen.map(\.description).joined(separator: ", ")
        case .model: return c.model
        case .registry: return c.registry
        case .adapterDirs: return c.adapterDirs.joined(separator: ", ")
        case .hfHubCache: return c.hfHubCache.spelling
        case .adminTokenFile: return c.adminTokenFile ?? ""
        case .inferenceTokenFile: return c.inferenceTokenFile ?? ""
        case .chatTemplate: return c.chatTemplate ?? ""
        case .toolCallParser: return c.toolCallParser.rawValue
        case .adapterCacheMB: return String(c.adapterCacheMB)
        case .maxBatch: return String(c.maxBatch)
        case .maxLoras: return String(c.maxLoras)
        case .maxQueue: return String(c.maxQueue)
        case .kvCacheMB: return String(c.kvCacheMB)
        case .contextLength: return String(c.contextLength)
        case .adapterCacheOvercommitPct: return String(c.adapterCacheOvercommitPct)
        case .threads: return String(c.threads)
        case .weightsDType: return c.weightsDType?.rawValue ?? "auto"
        case .kvDType: return c.kvDType?.rawValue ?? "auto"
        case .maxUploadMB: return String(c.maxUploadMB)
        case .uploadBufferMB: return String(c.uploadBufferMB)
        case .maxMergeDownloads: return String(c.maxMergeDownloads)
        case .headerTimeoutSeconds: return ConfigKey.seconds(c.headerTimeoutSeconds)
        case .idleTimeoutSeconds: return ConfigKey.seconds(c.idleTimeoutSeconds)
        case .bodyTimeoutSeconds: return ConfigKey.seconds(c.bodyTimeoutSeconds)
        case .bodyMinRateKiB: return String(c.bodyMinRateKiB)
        case .drainTimeoutSeconds: return ConfigKey.seconds(c.drainTimeoutSeconds)
        case .maxConnections: return String(c.maxConnections)
        case .logLevel: return c.logLevel.rawValue
        case .logFormat: return c.logFormat.rawValue
        case .generationDefaults: return c.generationDefaults.rawValue
        }
    }

    static func seconds(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}

extension String {
    func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
