import Metrics
import Serving

/// The model-server protocol's metrics under vLLM's names, so the Gateway API
/// Inference Extension's endpoint picker (which llm-d's inference scheduler
/// builds on) routes to lorad replicas as to vLLM ones, with no configuration.
///
/// How the picker reads them (its Prometheus extractor and scorers): of a
/// gauge family it takes the first series, so each gauge here has exactly
/// one, unlabeled; `kv_cache_usage_perc` is a fraction in 0...1; of
/// `lora_requests_info` it takes the series with the highest value, and each
/// scrape here shows exactly one, valued with the Unix time of the last
/// change of its adapter lists; `max_lora` is an integer; the adapter lists
/// are comma-separated names. The picker's LoRA affinity then scores a
/// replica 1.0 when the adapter runs there, 0.8 when running + waiting
/// adapters leave a free slot under `max_lora`, 0.6 when it waits there.
/// It skips a series whose two lists are both empty (keeping the last
/// non-empty one), as it does for vLLM: an idle replica that never ran an
/// adapter shows it no `max_lora`, and so gets no free-slot credit.
public struct ModelServerMetrics: Sendable {
    /// Positions per KV block in `cache_config_info`: lorad reserves KV per
    /// position, and 16 is vLLM's default block size.
    public static let blockSize = 16

    /// `vllm:num_requests_waiting`: queued, not yet admitted to the batch.
    public let requestsWaiting: GaugeMetric
    /// `vllm:num_requests_running`: sequences in the running batch.
    public let requestsRunning: GaugeMetric
    /// `vllm:kv_cache_usage_perc`: KV bytes reserved ÷ KV budget (0...1).
    public let kvCacheUsage: GaugeMetric
    /// `vllm:gpu_cache_usage_perc`: the same value under the name vLLM used
    /// before `kv_cache_usage_perc` (both exported side by side for a while),
    /// which endpoint pickers released until late 2025 read by default.
    public let gpuCacheUsage: GaugeMetric
    /// `vllm:lora_requests_info{max_lora,running_lora_adapters,waiting_lora_adapters}`.
    public let loraRequestsInfo: GaugeMetric
    /// `vllm:cache_config_info{block_size,num_gpu_blocks}` = 1: the KV budget in blocks.
    public let cacheConfigInfo: GaugeMetric

    init(registry: MetricsRegistry) throws(MetricsError) {
        requestsWaiting = try registry.gauge("vllm:num_requests_waiting",
                                             help: "Requests queued, not yet admitted to the running batch.")
        requestsRunning = try registry.gauge("vllm:num_requests_running", help: "Sequences in the running batch.")
        kvCacheUsage = try registry.gauge("vllm:kv_cache_usage_perc",
                                          help: "KV cache reserved by running sequences as a fraction of kv_cache_mb (0-1).")
        gpuCacheUsage = try registry.gauge("vllm:gpu_cache_usage_perc",
                                           help: "The same as vllm:kv_cache_usage_perc, under vLLM's earlier name.")
        loraRequestsInfo = try registry.gauge(
            "vllm:lora_requests_info",
            help: "Running and waiting adapters (comma-separated) and max_loras; the value is the Unix time of the last change.",
            labels: ["max_lora", "running_lora_adapters", "waiting_lora_adapters"])
        cacheConfigInfo = try registry.gauge("vllm:cache_config_info",
                                             help: "KV cache configuration: the kv_cache_mb budget in blocks of block_size positions.",
                                             labels: ["block_size", "num_gpu_blocks"])
    }

    /// Brings every family up to date from the engine's counters.
    func update(engine stats: EngineStats, configuration: EngineConfiguration, kvBytesPerPosition: Int) {
        requestsWaiting.set(Double(stats.queued))
        requestsRunning.set(Double(stats.running))
        let budget = configuration.kvCacheBytes
        let usage = budget > 0 ? min(1, Double(stats.kvReservedBytes) / Double(budget)) : 0
        kvCacheUsage.set(usage)
        gpuCacheUsage.set(usage)
        loraRequestsInfo.setOnly(stats.adaptersChangedAt, labels: [
            String(configuration.maxLoras),
            stats.runningAdapters.joined(separator: ","),
            stats.waitingAdapters.joined(separator: ","),
        ])
        let blockBytes = max(1, Self.blockSize * kvBytesPerPosition)
        cacheConfigInfo.setOnly(1, labels: [String(Self.blockSize), String(budget / blockBytes)])
    }
}
