import FileReading
import Foundation
import Kernels
import HTTP1
import Llama
import LoRA
import Registry
import Serving
import Synchronization
import Tokenization

/// The daemon assembled: HTTP server, routes, and the phases
/// loading → serving → draining.
///
/// The listeners are bound first, so `/health` answers 503 `loading` while the
/// model loads (and 503 `draining` on shutdown); every other endpoint answers
/// 503 until `load()` has finished.
///
/// ```swift
/// let server = try LoradServer(configuration: c, logger: log)
/// let addresses = try server.bind()
/// try server.load()
/// …
/// await server.shutdown()
/// ```
public final class LoradServer: Sendable {
    public enum Phase: Sendable {
        case loading
        case serving(LoadedModel)
        case draining
    }

    public let configuration: Configuration
    public let logger: Logger
    public let http: HTTPServer
    /// The bearer tokens in force (SIGHUP swaps them: `reload(_:)`).
    let auth: Auth
    private let phase = Mutex<Phase>(.loading)
    /// Held from `load` until `shutdown` has closed the registry.
    private let instanceLock = Mutex<RegistryInstanceLock?>(nil)
    private let moveWatch = Mutex<RegistryMoveWatch?>(nil)
    let metrics: MetricsBridge

    /// Reads the token files (a configured but unreadable token stops the
    /// daemon rather than opening the endpoints) and registers the routes.
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let tokens = try configuration.readTokens()
        auth = Auth(admin: tokens.admin, inference: tokens.inference)
        var limits = HTTPLimits()
        limits.headerReadTimeout = .milliseconds(Int64(configuration.headerTimeoutSeconds * 1000))
        limits.idleTimeout = .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000))
        limits.bodyReadTimeout = .milliseconds(Int64(configuration.bodyTimeoutSeconds * 1000))
        limits.minBodyBytesPerSecond = configuration.bodyMinRateKiB << 10
        limits.maxConnections = configuration.maxConnections
        // What the HTTP layer refuses by itself (malformed requests, unknown
        // routes) gets an access line too, or it would leave no trace.
        http = HTTPServer(limits: limits, errorRenderer: APIError.renderer,
                          onServerAnswer: { [logger] answer in logger.serverAnswer(answer) })
        if let problem = configuration.openFileLimitProblem(limit: Configuration.openFileLimit()) {
            logger.warning(problem)
        }
        if let problem = configuration.threadLimitProblem(ProcessLimits.current()) {
            logger.warning(problem)
        }
        metrics = MetricsBridge(metrics: try ServerMetrics(buildInfo: ["model": (configuration.model as NSString).lastPathComponent]))
        registerRoutes()
    }

    public var currentPhase: Phase { phase.withLock { $0 } }

    /// The loaded service, or nil while loading or draining.
    public var service: LoadedModel? {
        if case .serving(let s) = currentPhase { return s }
        return nil
    }

    /// Binds every configured listen address; returns the bound ones (real
    /// ports for `:0`), `listen`'s first, then `trusted_listen`'s, whose
    /// requests need no token from then on.
    @discardableResult
    public func bind() throws -> [SocketAddress] {
        let open = try configuration.listen.map { try http.listen($0.description) }
        let trusted = try configuration.trustedListen.map { try http.listen($0.description) }
        auth.trust(listeners: trusted)
        return open + trusted
    }

    /// Loads the model and tokenizer, opens the registry (adapters are
    /// validated against this base on first use, not here: start-up time does
    /// not grow with the registry), starts the engine, and begins serving.
    /// - Parameters:
    ///   - heartbeat: called from the engine loop (systemd watchdog).
    ///   - heartbeatInterval: the longest the idle engine goes without calling
    ///     `heartbeat` (pass the watchdog's ping interval; default 1 s).
    @discardableResult
    public func load(heartbeat: (@Sendable () -> Void)? = nil, heartbeatInterval: Double? = nil) throws -> LoadedModel {
        // Before the model: a second daemon on this registry stops at once.
        let lock = try RegistryInstanceLock(registryPath: configuration.registry)
        instanceLock.withLock { $0 = lock }
        let folder = URL(fileURLWithPath: configuration.model).standardizedFileURL
        let start = ContinuousClock.now
        // A stop asked for while loading ends the load at the next tensor:
        // a large model would otherwise load in full first, past systemd's
        // TimeoutStopSec, only to be thrown away.
        let model = try LlamaModel.load(folder: folder, weightsFormat: configuration.weightsDType) { [self] _, _ in
            if currentPhase.isDraining { throw EngineError.shuttingDown }
        }
        let tokenizer = try Tokenizer(folder: folder)
        // As read just now: a merge download serves them beside the weights.
        let companionFiles = MergeCompanionFiles.identities(in: folder)
        if tokenizer.vocabSize > model.config.vocabSize {
            // transformers loads such a pair too; the ids past the embedding
            // cannot be fed to the model, so every prompt holding one is
            // refused. Said once here, naming both files.
            logger.warning("tokenizer.json has token ids up to \(tokenizer.vocabSize - 1), past config.json's vocab_size "
                + "\(model.config.vocabSize): a prompt containing one is refused with 400",
                ["tokenizer_ids": tokenizer.vocabSize, "vocab_size": model.config.vocabSize])
        }
        let modelID = folder.lastPathComponent
        let kvFormat = configuration.kvFormat(residentWeights: model.weights.format)
        logger.info("model loaded", ["model": modelID, "path": folder.path, "family": model.config.modelType,
                                     "layers": model.config.numHiddenLayers,
                                     "context": model.config.maxPositionEmbeddings,
                                     "weights_dtype": model.weights.format.rawValue,
                                     "resident_bytes": model.weights.residentBytes,
                                     "kv_dtype": kvFormat.rawValue,
                                     "kv_bytes_per_token": SequenceState.bytesPerPosition(
                                         config: model.config, format: kvFormat),
                                     "kernels": KernelPath.summary,
                                     "seconds": LogValue((ContinuousClock.now - start).seconds, decimals: 2)])
        // The address space is measured with the model mapped: its weights count.
        if let problem = configuration.addressSpaceProblem(ProcessLimits.current(countingTasks: false)) {
            logger.warning(problem)
        }
        if let window = model.config.slidingWindow {
            logger.info("sliding-window attention", ["sliding_window": window,
                                                     "layers": model.config.slidingLayers.count])
        }

        let registry = try AdapterRegistry(path: configuration.registry)
        let shapes = model.weights.linearShapes
        let identity = model.config.baseIdentity(names: [modelID])
        // Nothing is revalidated here: each adapter is checked on first use
        // unless the registry holds its outcome against this very base.
        let fingerprint = AdapterCompatibility.fingerprint(
            configJSON: (try? RegularFile.read(folder.appendingPathComponent("config.json").path, limit: .modelFile)) ?? Data(),
            shapes: shapes, identity: identity)
        let compatibility = AdapterCompatibility(registry: registry, base: model.weights, identity: identity,
                                                 baseFingerprint: fingerprint)
        logger.info("registry opened", ["path": configuration.registry, "adapters": try registry.count(),
                                        "unchecked": try registry.uncheckedCount(baseFingerprint: fingerprint)])

        var engineConfiguration = EngineConfiguration()
        engineConfiguration.maxBatch = configuration.maxBatch
        engineConfiguration.maxLoras = configuration.maxLoras
        engineConfiguration.maxQueue = configuration.maxQueue
        engineConfiguration.kvCacheBytes = configuration.kvCacheMB << 20
        engineConfiguration.kvFormat = kvFormat
        if configuration.contextLength > 0 { engineConfiguration.contextLength = configuration.contextLength }
        if let heartbeatInterval, heartbeatInterval > 0 {
            engineConfiguration.idleHeartbeatSeconds = min(engineConfiguration.idleHeartbeatSeconds, heartbeatInterval)
        }
        let registrySource = RegistryAdapterSource(registry: registry, compatibility: compatibility,
                                                   baseModelID: modelID)
        let directories = AdapterDirectories(configuration.adapterDirs)
        for missing in configuration.adapterDirs where AdapterDirectories.realPath(missing) == nil {
            logger.warning("adapter_dirs folder does not exist; no adapter is read from it", ["path": missing])
        }
        let hubCache = configuration.hfHubCache.root(environment: ProcessInfo.processInfo.environment).map(HubCacheLayout.init)
        if let hubCache {
            let exists = AdapterDirectories.realPath(hubCache.root) != nil
            logger.info(exists ? "hub ids ORG/NAME also resolve from the Hugging Face hub cache"
                               : "the Hugging Face hub cache does not exist (yet); hub ids resolve from it once it does",
                        ["hf_hub_cache": hubCache.root])
        }
        let folderImports = directories.roots.isEmpty && hubCache == nil ? nil
            : FolderImportWrites(registry: registry, compatibility: compatibility, logger: logger)
        let source: any AdapterSource = folderImports.map {
            FolderAdapterResolver(registrySource: registrySource, directories: directories, hubCache: hubCache,
                                  base: model.weights, identity: identity, modelID: modelID,
                                  maxWeightsBytes: configuration.maxUploadMB << 20, writes: $0, logger: logger)
        } ?? registrySource
        let cache = AdapterCache(source: source,
                                 budgetBytes: configuration.adapterCacheMB << 20,
                                 overcommitBytes: (configuration.adapterCacheMB << 20) / 100 * configuration.adapterCacheOvercommitPct,
                                 loader: compatibility.checkingLoader(AdapterCache.validatingLoader(base: model.weights, identity: identity)))
        folderImports?.onDropServed { [cache] name in cache.discard(name) }
        let samplingDefaults = configuration.generationDefaults == .model ? model.config.samplingDefaults : .none
        if !model.config.samplingDefaults.isEmpty {
            logger.log(.info, configuration.generationDefaults == .model
                            ? "sampling defaults from generation_config.json for fields a request leaves out"
                            : "generation_config.json's sampling defaults are not used (generation_defaults = none)",
                        fields: model.config.samplingDefaults.fields.map { ($0, LogValue(numeric: $1)) })
        }
        // Everything that can refuse to start comes before the engine's thread does.
        let chat = try loadChat(folder: folder, model: model, tokenizer: tokenizer)
        let engine = Engine(model: model, tokenizer: tokenizer, adapters: cache, configuration: engineConfiguration,
                            heartbeat: heartbeat)
        let service = LoadedModel(modelID: modelID, engine: engine, registry: registry, compatibility: compatibility,
                                  auth: auth, logger: logger, maxUploadBytes: configuration.maxUploadMB << 20,
                                  uploadBufferBytes: configuration.uploadBufferMB << 20,
                                  maxMergeDownloads: configuration.maxMergeDownloads,
                                  chat: chat, adapterDirectories: directories, hubCache: hubCache,
                                  // A merge download reads the checkpoint again and must find these same files.
                                  folderImports: folderImports, modelFiles: model.sourceFiles,
                                  samplingDefaults: samplingDefaults, companionFiles: companionFiles)
        let started = phase.withLock { p -> Bool in
            if case .draining = p { return false }   // a signal arrived while loading
            p = .serving(service)
            return true
        }
        if !started {
            engine.shutdown(drain: false)
            registry.close()
            throw EngineError.shuttingDown
        }
        moveWatch.withLock { $0 = RegistryMoveWatch(registry: registry, path: configuration.registry, logger: logger) }
        return service
    }

    /// Stops accepting, lets in-flight requests finish for up to
    /// `drain_timeout_s`, stops the engine and closes the registry.
    public func shutdown() async {
        let previous = phase.withLock { p -> Phase in
            defer { p = .draining }
            return p
        }
        let cut = await http.shutdown(gracePeriod: .milliseconds(Int64(configuration.drainTimeoutSeconds * 1000)))
        if cut > 0 {
            logger.warning("drain deadline reached: requests cut", ["cut": cut,
                                                                     "drain_timeout_s": LogValue(numeric: ConfigKey.seconds(configuration.drainTimeoutSeconds))])
        }
        if case .serving(let service) = previous {
            // Every connection is closed: whatever still runs has no reader.
            service.engine.shutdown(drain: false)
            // Rows of folder imports first: each remembers its check.
            service.folderImports?.drain()
            service.compatibility.flush()
            moveWatch.withLock { $0?.cancel() }
            service.registry.close()
        }
        instanceLock.withLock { $0 = nil }
    }

    // MARK: routes

    private func registerRoutes() {
        let maxUpload = configuration.maxUploadMB << 20
        http.route(.GET, "/health") { [self] _, response in
            try await HealthHandler.respond(currentPhase, response)
        }
        http.route(.GET, "/metrics") { [self] _, response in
            let text = metrics.exposition(service: service, openConnections: http.connectionCount)
            // Prometheus text exposition format 0.0.4.
            try await response.send(.ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], text: text)
        }
        route(.POST, "/v1/completions") { [metrics] service, request, response in
            let outcome = try await CompletionsHandler(service: service, metrics: metrics).handle(request, response)
            return AccessInfo(status: 200, adapter: outcome.adapter, promptTokens: outcome.promptTokens,
                              completionTokens: outcome.completionTokens)
        }
        registerChatRoutes()
        route(.GET, "/v1/models") { service, request, response in
            try await ModelsHandler(service: service).list(request, response)
            return AccessInfo(status: 200)
        }
        // A hub id's slash as two segments, as under /adapters/.
        for pattern in ["/v1/models/:name", "/v1/models/:org/:name"] {
            route(.GET, pattern) { service, request, response in
                try await ModelsHandler(service: service).retrieve(request, response)
                return AccessInfo(status: 200)
            }
        }
        route(.GET, "/adapters") { service, request, response in
            try await AdaptersHandler(service: service).list(request, response)
            return AccessInfo(status: 200)
        }
        // The multipart framing adds a few KB around the files.
        route(.POST, "/adapters", maxBodyBytes: maxUpload + AdapterUploadHandler.maxConfigBytes + AdapterUploadHandler.maxChatTemplateBytes + 64 * 1024) { service, request, response in
            let name = try await AdapterUploadHandler(service: service).upload(request, response)
            return AccessInfo(status: 201, adapter: name)
        }
        for pattern in Self.adapterPaths("") {
            route(.GET, pattern) { service, request, response in
                try await AdaptersHandler(service: service).get(request, response)
                return AccessInfo(status: 200, adapter: request.adapterNameParameter)
            }
            route(.DELETE, pattern) { service, request, response in
                try await AdaptersHandler(service: service).delete(request, response)
                return AccessInfo(status: 200, adapter: request.adapterNameParameter)
            }
        }
        route(.POST, "/v1/load_lora_adapter") { service, request, response in
            let name = try await LoRAAdapterManagementHandler(service: service).load(request, response)
            return AccessInfo(status: 200, adapter: name)
        }
        route(.POST, "/v1/unload_lora_adapter") { service, request, response in
            let name = try await LoRAAdapterManagementHandler(service: service).unload(request, response)
            return AccessInfo(status: 200, adapter: name)
        }
        registerMergeRoutes()
    }

    /// `/adapters/:name` + `suffix` and `/adapters/:org/:name` + `suffix`:
    /// an adapter's routes for a plain name or a hub id `ORG/NAME` as two
    /// segments (`adapterNameParameter` joins them). No route under
    /// `/adapters/` is ambiguous with them for the same method.
    static func adapterPaths(_ suffix: String) -> [String] {
        ["/adapters/:name" + suffix, "/adapters/:org/:name" + suffix]
    }

    struct AccessInfo {
        var status: Int
        var adapter: String? = nil
        var promptTokens: Int? = nil
        var completionTokens: Int? = nil
    }

    /// The metrics label of a route pattern: the template, never the raw path
    /// (bounded cardinality), each `:param` segment as `{param}`, and both
    /// spellings of an adapter's path (`:name`, `:org/:name`) as one `{name}`.
    static func endpointLabel(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: ":org/:name", with: ":name")
            .split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .joined(separator: "/")
    }

    /// Adds a route that needs the loaded service: 503 before/after, every
    /// error mapped to the API's status and shape, one access-log line.
    func route(_ method: HTTPMethod, _ pattern: String, maxBodyBytes: Int? = nil,
                       _ body: @escaping @Sendable (LoadedModel, HTTPRequest, HTTPResponse) async throws -> AccessInfo) {
        let endpoint = Self.endpointLabel(pattern)
        http.route(method, pattern, maxBodyBytes: maxBodyBytes) { [self] request, response in
            let start = ContinuousClock.now
            do {
                guard case .serving(let service) = currentPhase else {
                    throw APIError.unavailable(currentPhase.isDraining ? "the server is shutting down" : "the model is still loading")
                }
                try request.requireEachQueryParameterOnce()
                let info = try await body(service, request, response)
                metrics.request(endpoint: endpoint, method: method.rawValue, status: info.status,
                                seconds: (ContinuousClock.now - start).seconds, reason: nil)
                logger.access(method: method.rawValue, path: request.path, status: info.status, adapter: info.adapter,
                              promptTokens: info.promptTokens, completionTokens: info.completionTokens,
                              durationSeconds: (ContinuousClock.now - start).seconds)
            } catch {
                let mapped = APIError.map(error, cutBy: response.cancellationReason)
                metrics.request(endpoint: endpoint, method: method.rawValue, status: mapped.status.code,
                                seconds: (ContinuousClock.now - start).seconds, reason: MetricsBridge.rejectionReason(mapped))
                // 503 is back-pressure (a full queue, loading, draining), not a
                // fault: one warning line, where a burst of refusals used to
                // write two error lines each.
                let code = mapped.status.code
                logger.access(method: method.rawValue, path: request.path, status: code, adapter: nil,
                              durationSeconds: (ContinuousClock.now - start).seconds,
                              level: code == 503 ? .warning : code >= 500 ? .error : .info)
                if code >= 500, code != 503 { logger.error("request failed", ["path": request.path, "error": mapped.message]) }
                throw mapped
            }
        }
    }
}

extension LoradServer.Phase {
    var isDraining: Bool {
        if case .draining = self { return true }
        return false
    }
}
