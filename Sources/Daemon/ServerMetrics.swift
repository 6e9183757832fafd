import Foundation
import Metrics

/// The metric families `GET /metrics` exposes (README "Operations" lists them):
/// requests, tokens, queue depth, batch size, adapter cache
/// hits/misses/evictions, swap time, latency histograms — registered once,
/// handed to the HTTP handlers and the engine.
///
/// Label rules that keep cardinality bounded: `endpoint` is the route
/// template (`/adapters/{name}`), never the raw path; `adapter` values go
/// through `adapterLabel(_:)` (at most `adapterSeriesLimit` adapters get
/// series of their own, the rest count as `other`; the base model is `base`).
public struct ServerMetrics: Sendable {
    public let registry: MetricsRegistry
    /// Bounds the `adapter` label of every per-adapter family below.
    public let adapters: TopLabelValues

    /// HTTP requests by route template, method and status code.
    public let httpRequests: CounterMetric            // {endpoint, method, status}
    /// Wall time from request head to the last byte written, by route template.
    public let httpRequestSeconds: HistogramMetric    // {endpoint}
    /// Currently open client connections.
    public let openConnections: GaugeMetric
    /// Requests refused before running (`queue_full`, `draining`, `too_large`, …).
    public let rejectedRequests: CounterMetric        // {reason}
    /// Bytes buffered by adapter uploads in progress (`upload_buffer_mb` caps it).
    public let uploadBufferedBytes: GaugeMetric
    /// Merge downloads in progress (`max_merge_downloads` caps it).
    public let mergeDownloads: GaugeMetric

    /// Completion requests by adapter.
    public let completions: CounterMetric             // {adapter}
    /// Prompt tokens processed, by adapter.
    public let promptTokens: CounterMetric            // {adapter}
    /// Tokens generated, by adapter.
    public let completionTokens: CounterMetric        // {adapter}
    /// Time from admission to the first generated token, by adapter.
    public let timeToFirstToken: HistogramMetric      // {adapter}

    /// Requests waiting for a batch slot.
    public let queueDepth: GaugeMetric
    /// Sequences live in the engine.
    public let activeSequences: GaugeMetric
    /// KV cache bytes reserved by the live sequences (`EngineStats.kvReservedBytes`).
    public let kvCacheBytes: GaugeMetric
    /// Finished sequences whose 16-bit KV cache overflowed
    /// (`EngineStats.kvOverflowedSequences`).
    public let kvCacheOverflows: CounterMetric
    /// 1 for the adapter mix currently folded into the base weights
    /// (`PUT /merged`); no series while the base runs unmerged.
    public let liveMerged: GaugeMetric                // {adapter}
    /// Sequences per decode step.
    public let batchSize: HistogramMetric

    /// Adapter lookups served from memory / loaded from the registry / evicted.
    public let adapterCacheHits: CounterMetric
    public let adapterCacheMisses: CounterMetric
    public let adapterCacheEvictions: CounterMetric
    /// Bytes and count of resident adapters.
    public let adapterCacheBytes: GaugeMetric
    public let adapterInUseBytes: GaugeMetric
    public let adapterCacheOverBudgetBytes: GaugeMetric
    public let residentAdapters: GaugeMetric
    /// Time to load (read, validate, decode) a non-resident adapter.
    public let adapterSwapSeconds: HistogramMetric
    /// Adapters imported from `adapter_dirs` or the hub cache whose
    /// registry row could not be written (`FolderImportWrites.Stats.failed`).
    public let folderImportStoreFailures: CounterMetric

    /// The same engine state under vLLM's names, for the endpoint picker.
    public let modelServer: ModelServerMetrics

    /// Registers every family (plus `ProcessMetrics`, lorad's uptime and
    /// `lorad_build_info{…} 1`, labelled from `buildInfo`) in `registry`.
    public init(registry: MetricsRegistry = MetricsRegistry(), adapterSeriesLimit: Int = 20,
                buildInfo: [String: String] = [:]) throws(MetricsError) {
        self.registry = registry
        adapters = TopLabelValues(limit: adapterSeriesLimit)
        httpRequests = try registry.counter("lorad_http_requests", help: "HTTP requests by route, method and status.",
                                            labels: ["endpoint", "method", "status"])
        httpRequestSeconds = try registry.histogram("lorad_http_request_duration_seconds",
                                                    help: "HTTP request duration in seconds, by route.", labels: ["endpoint"])
        openConnections = try registry.gauge("lorad_open_connections", help: "Open client connections.")
        rejectedRequests = try registry.counter("lorad_rejected_requests", help: "Requests refused before running, by reason.",
                                                labels: ["reason"])
        uploadBufferedBytes = try registry.gauge("lorad_upload_buffered_bytes",
                                                 help: "Bytes buffered by adapter uploads in progress.")
        mergeDownloads = try registry.gauge("lorad_merge_downloads", help: "Merge downloads in progress.")
        completions = try registry.counter("lorad_completions", help: "Completion requests by adapter.", labels: ["adapter"])
        promptTokens = try registry.counter("lorad_prompt_tokens", help: "Prompt tokens processed, by adapter.", labels: ["adapter"])
        completionTokens = try registry.counter("lorad_completion_tokens", help: "Tokens generated, by adapter.", labels: ["adapter"])
        timeToFirstToken = try registry.histogram("lorad_time_to_first_token_seconds",
                                                  help: "Seconds from admission to the first token, by adapter.", labels: ["adapter"])
        queueDepth = try registry.gauge("lorad_queue_depth", help: "Requests waiting for a batch slot.")
        activeSequences = try registry.gauge("lorad_active_sequences", help: "Sequences being decoded.")
        kvCacheBytes = try registry.gauge("lorad_kv_cache_bytes", help: "KV cache bytes reserved by live sequences.")
        kvCacheOverflows = try registry.counter(
            "lorad_kv_cache_overflowed_sequences",
            help: "Finished sequences whose 16-bit KV cache rounded a finite key or value to infinity (F16 past 65504: use kv_dtype bf16).")
        liveMerged = try registry.gauge("lorad_live_merged",
                                        help: "1 for the adapter mix merged into the base weights; absent when unmerged.",
                                        labels: ["adapter"])
        batchSize = try registry.histogram("lorad_batch_size", help: "Sequences per decode step.",
                                           buckets: HistogramMetric.countBuckets)
        adapterCacheHits = try registry.counter("lorad_adapter_cache_hits", help: "Adapter lookups served from memory.")
        adapterCacheMisses = try registry.counter("lorad_adapter_cache_misses", help: "Adapter lookups that loaded from the registry.")
        adapterCacheEvictions = try registry.counter("lorad_adapter_cache_evictions", help: "Resident adapters evicted for space.")
        adapterCacheBytes = try registry.gauge("lorad_adapter_cache_bytes", help: "Bytes of resident adapters.")
        adapterInUseBytes = try registry.gauge("lorad_adapter_in_use_bytes",
                                               help: "Bytes of the adapters running and queued requests hold (never evicted).")
        adapterCacheOverBudgetBytes = try registry.gauge("lorad_adapter_cache_over_budget_bytes",
            help: "Bytes of adapters in memory beyond adapter_cache_mb (leased adapters make the budget a soft cap).")
        residentAdapters = try registry.gauge("lorad_resident_adapters", help: "Adapters resident in memory.")
        adapterSwapSeconds = try registry.histogram("lorad_adapter_swap_seconds",
                                                    help: "Seconds to load a non-resident adapter.")
        folderImportStoreFailures = try registry.counter(
            "lorad_folder_import_store_failures",
            help: "Adapters imported from adapter_dirs or the hub cache whose registry row could not be written (each is logged; the next request imports the folder again).")
        modelServer = try ModelServerMetrics(registry: registry)
        for counter in [completions, promptTokens, completionTokens] { adapters.attach(counter, label: "adapter") }
        adapters.attach(timeToFirstToken, label: "adapter")
        let start = Date()
        try ProcessMetrics.register(in: registry, startTime: start)
        try registry.computed("lorad_uptime_seconds", help: "Seconds since lorad started.") {
            [([], max(0, Date().timeIntervalSince1970 - start.timeIntervalSince1970))]
        }
        let keys = buildInfo.keys.sorted()
        let values = keys.map { buildInfo[$0] ?? "" }
        try registry.computed("lorad_build_info", help: "Always 1; the labels describe the running build.",
                              labels: keys) {
            [(values, 1)]
        }
    }

    /// The `adapter` label for a request: `base` without an adapter, else the
    /// adapter spec (e.g. `a:0.7,b:0.3`) bounded by `adapters`. An adapter
    /// named `base` or `other` — the base's and the overflow's labels — is
    /// written with its weight (`base:1`, the same spec), so its series
    /// never merges with theirs.
    public func adapterLabel(_ adapter: String?) -> String {
        guard let adapter, !adapter.isEmpty else { return "base" }
        return adapters.label(for: adapter == "base" || adapter == "other" ? adapter + ":1" : adapter)
    }
}
