import Foundation

extension LoradServer {
    /// The keys a running daemon cannot change: each is baked into something
    /// built once at startup (the bound sockets, the loaded weights, the open
    /// registry, the engine's batch/queue/KV limits, the adapter cache's
    /// budget, the BLAS thread pool, the HTTP limits and route body limits,
    /// the log line style). SIGHUP logs these as "needs a restart".
    static let restartKeys: [(key: ConfigKey, differs: @Sendable (Configuration, Configuration) -> Bool)] = [
        (.listen, { $0.listen != $1.listen }),
        (.trustedListen, { $0.trustedListen != $1.trustedListen }),
        (.model, { $0.model != $1.model }),
        (.registry, { $0.registry != $1.registry }),
        (.adapterDirs, { $0.adapterDirs != $1.adapterDirs }),
        (.hfHubCache, { $0.hfHubCache != $1.hfHubCache }),
        (.adapterCacheMB, { $0.adapterCacheMB != $1.adapterCacheMB }),
        (.maxBatch, { $0.maxBatch != $1.maxBatch }),
        (.maxLoras, { $0.maxLoras != $1.maxLoras }),
        (.maxQueue, { $0.maxQueue != $1.maxQueue }),
        (.kvCacheMB, { $0.kvCacheMB != $1.kvCacheMB }),
        (.contextLength, { $0.contextLength != $1.contextLength }),
        (.adapterCacheOvercommitPct, { $0.adapterCacheOvercommitPct != $1.adapterCacheOvercommitPct }),
        (.threads, { $0.threads != $1.threads }),
        (.weightsDType, { $0.weightsDType != $1.weightsDType }),
        (.kvDType, { $0.kvDType != $1.kvDType }),
        (.maxUploadMB, { $0.maxUploadMB != $1.maxUploadMB }),
        (.uploadBufferMB, { $0.uploadBufferMB != $1.uploadBufferMB }),
        (.maxMergeDownloads, { $0.maxMergeDownloads != $1.maxMergeDownloads }),
        (.headerTimeoutSeconds, { $0.headerTimeoutSeconds != $1.headerTimeoutSeconds }),
        (.idleTimeoutSeconds, { $0.idleTimeoutSeconds != $1.idleTimeoutSeconds }),
        (.bodyTimeoutSeconds, { $0.bodyTimeoutSeconds != $1.bodyTimeoutSeconds }),
        (.bodyMinRateKiB, { $0.bodyMinRateKiB != $1.bodyMinRateKiB }),
        (.drainTimeoutSeconds, { $0.drainTimeoutSeconds != $1.drainTimeoutSeconds }),
        (.maxConnections, { $0.maxConnections != $1.maxConnections }),
        (.logFormat, { $0.logFormat != $1.logFormat }),
        (.chatTemplate, { $0.chatTemplate != $1.chatTemplate }),
        (.toolCallParser, { $0.toolCallParser != $1.toolCallParser }),
        (.generationDefaults, { $0.generationDefaults != $1.generationDefaults }),
    ]

    /// SIGHUP: applies what can change safely while serving and reports the rest.
    ///
    /// - The token files named in `fresh` are re-read. A file that is now
    ///   unreadable or empty keeps the old token in force and is logged as an
    ///   error: a botched token rotation must neither lock everyone out nor
    ///   open the endpoints. Removing a token-file key likewise keeps the old
    ///   token (opening an endpoint takes a restart).
    /// - `log_level` takes effect for the next log line.
    /// - Every other changed key is logged as needing a restart.
    /// In-flight requests are untouched; requests checked after the return see
    /// the new tokens.
    @discardableResult
    public func reload(_ fresh: Configuration) -> ReloadReport {
        var report = ReloadReport()
        var admin = auth.admin, inference = auth.inference
        func reread(_ key: ConfigKey, path: String?, current: inout BearerToken?) {
            guard let path else {
                if current != nil {
                    logger.warning("reload: a token file key was removed; the old token stays in force until a restart",
                                   ["key": key.rawValue])
                    report.needRestart.append(key.rawValue)
                }
                return
            }
            do {
                current = try BearerToken.read(file: path, key: key.rawValue)
                report.applied.append(key.rawValue)
            } catch {
                logger.error("reload: token file unusable; the old token stays in force",
                             ["key": key.rawValue, "error": error.description])
                report.failed.append(key.rawValue)
            }
        }
        reread(.adminTokenFile, path: fresh.adminTokenFile, current: &admin)
        reread(.inferenceTokenFile, path: fresh.inferenceTokenFile, current: &inference)
        auth.replace(admin: admin, inference: inference)

        if fresh.logLevel != logger.level {
            logger.setLevel(fresh.logLevel)
            report.applied.append(ConfigKey.logLevel.rawValue)
        }
        for entry in Self.restartKeys where entry.differs(configuration, fresh) {
            report.needRestart.append(entry.key.rawValue)
        }
        if !report.needRestart.isEmpty {
            logger.warning("reload: changed keys need a restart to take effect",
                           ["keys": report.needRestart.joined(separator: ",")])
        }
        logger.notice("reloaded", ["applied": report.applied.joined(separator: ","),
                                   "failed": report.failed.joined(separator: ",")])
        return report
    }
}
