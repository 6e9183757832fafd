import Foundation
import HTTP1
import Serving
import Synchronization

/// Feeds `ServerMetrics` (the families `GET /metrics` exposes) from the
/// request path and, at scrape time, from the engine's and adapter cache's
/// own counters (which they keep cumulatively; the deltas since the previous
/// scrape are added here, so nothing on the hot path takes a metrics lock
/// per token or per step).
final class MetricsBridge: Sendable {
    let metrics: ServerMetrics
    private let last = Mutex<(cache: AdapterCacheStats?, batches: [Int: Int], merged: String?, kvOverflows: Int,
                              storeFailures: Int)>((nil, [:], nil, 0, 0))

    init(metrics: ServerMetrics) { self.metrics = metrics }

    /// One finished HTTP exchange. `endpoint` is the route template.
    func request(endpoint: String, method: String, status: Int, seconds: Double, reason: String?) {
        metrics.httpRequests.increment(labels: [endpoint, method, String(status)])
        metrics.httpRequestSeconds.observe(seconds, labels: [endpoint])
        if let reason { metrics.rejectedRequests.increment(labels: [reason]) }
    }

    /// One completion: tokens by adapter and time to first token.
    func completion(adapter: String?, promptTokens: Int, completionTokens: Int, timeToFirstToken: Double?) {
        let label = metrics.adapterLabel(adapter)
        metrics.completions.increment(labels: [label])
        metrics.promptTokens.increment(by: Double(promptTokens), labels: [label])
        metrics.completionTokens.increment(by: Double(completionTokens), labels: [label])
        if let ttft = timeToFirstToken { metrics.timeToFirstToken.observe(ttft, labels: [label]) }
    }

    /// Why a refused request was refused, for `lorad_rejected_requests{reason}`.
    static func rejectionReason(_ error: HTTPError) -> String? {
        switch error.status.code {
        case 503:
            switch error.type {
            case "overloaded": return "queue_full"
            case UploadBudget.errorType: return "upload_buffer_full"
            case MergeHandler.busyErrorType: return "merge_downloads_full"
            case "adapter_cache_full": return "adapter_cache_full"
            case APIError.registryBusyType: return APIError.registryBusyType
            default: return "unavailable"
            }
        case 413: return "too_large"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 429: return "rate_limited"
        default: return nil
        }
    }

    /// Brings the gauges and engine/cache counters up to date, then renders.
    func exposition(service: LoadedModel?, openConnections: Int) -> String {
        metrics.openConnections.set(Double(openConnections))
        if let service {
            let engine = service.engine.stats
            let cache = service.cache.stats
            metrics.queueDepth.set(Double(engine.queued))
            metrics.uploadBufferedBytes.set(Double(service.uploadBudget.usedBytes))
            metrics.mergeDownloads.set(Double(service.mergeDownloads.current))
            metrics.activeSequences.set(Double(engine.running))
            metrics.kvCacheBytes.set(Double(engine.kvReservedBytes))
            let merged = service.engine.liveMerged?.description
            metrics.adapterCacheBytes.set(Double(cache.residentBytes))
            metrics.adapterInUseBytes.set(Double(cache.inUseBytes))
            metrics.adapterCacheOverBudgetBytes.set(Double(max(0, cache.heldBytes - service.cache.budgetBytes)))
            metrics.residentAdapters.set(Double(service.cache.residentNames.count))
            metrics.modelServer.update(engine: engine, configuration: service.engine.configuration,
                                       kvBytesPerPosition: service.engine.kvBytesPerPosition)
            last.withLock { previous in
                let before = previous.cache
                metrics.adapterCacheHits.increment(by: Double(max(0, cache.hits - (before?.hits ?? 0))))
                metrics.adapterCacheMisses.increment(by: Double(max(0, cache.misses - (before?.misses ?? 0))))
                metrics.adapterCacheEvictions.increment(by: Double(max(0, cache.evictions - (before?.evictions ?? 0))))
                // The cache keeps a total load time; each new load is observed
                // at the mean of the loads since the last scrape.
                let loads = cache.loads - (before?.loads ?? 0)
                if loads > 0 {
                    let mean = (cache.loadSeconds - (before?.loadSeconds ?? 0)) / Double(loads)
                    for _ in 0..<loads { metrics.adapterSwapSeconds.observe(mean) }
                }
                for (size, count) in engine.batchSizeCounts {
                    let new = count - (previous.batches[size] ?? 0)
                    for _ in 0..<max(0, new) { metrics.batchSize.observe(Double(size)) }
                }
                // One series at most: the merged spec, replaced when it changes.
                if previous.merged != merged, let old = previous.merged {
                    metrics.liveMerged.removeSeries(label: "adapter", value: old)
                }
                if let merged { metrics.liveMerged.set(1, labels: [merged]) }
                metrics.kvCacheOverflows.increment(by: Double(max(0, engine.kvOverflowedSequences - previous.kvOverflows)))
                let storeFailures = service.folderImports?.stats.failed ?? 0
                metrics.folderImportStoreFailures.increment(by: Double(max(0, storeFailures - previous.storeFailures)))
                previous = (cache, engine.batchSizeCounts, merged, engine.kvOverflowedSequences, storeFailures)
            }
        }
        return metrics.registry.exposition()
    }
}
