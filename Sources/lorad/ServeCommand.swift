import Daemon
import Dispatch
import Foundation
import Kernels
import Synchronization

/// `lorad serve`: the daemon. Settings come from the defaults, then
/// `--config FILE`, then flags (`Configuration`).
enum ServeCommand {
    static let usage = """
    usage: lorad serve [--config FILE] [options]
      --config FILE                key = value settings (etc/lorad.conf documents every key)
      --model DIR                  Hugging Face model folder (default: the bundled models/tiny-llama)
      --registry FILE              SQLite adapter registry (default: ./lorad.sqlite, or $STATE_DIRECTORY/registry.sqlite)
      --listen ADDR                host:port to listen on, repeatable (default: 127.0.0.1:8080; port 0 = any free port)
      --admin-token-file FILE      bearer token required for upload/delete/merge (default: none, open)
      --inference-token-file FILE  bearer token required for inference (default: none, open)
      --max-batch N                sequences decoded together (default: 8)
      --max-queue N                waiting requests before 503 + Retry-After (default: 64)
      --adapter-cache-mb N         byte budget of resident adapters (default: 512)
      --kv-cache-mb N              KV cache budget over all sequences (default: 256)
      --threads N                  BLAS threads, or auto (default: auto = cores)
      --max-upload-mb N            largest adapter upload (default: 256)
      --drain-timeout-s S          on SIGTERM, how long in-flight requests may finish (default: 30)
      --log-level L, --log-format F
    Prints `lorad: listening on http://HOST:PORT` on stdout once serving.
    SIGTERM/SIGINT: stop accepting, drain, close the registry, exit 0.
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: Configuration.flagNames.union(["config"]))
        if let extra = a.positional.first { throw UsageError.badValue(option: "serve", value: extra, expected: "no positional arguments") }
        var overrides: [String: [String]] = [:]
        for flag in Configuration.flagNames where !a.values(flag).isEmpty { overrides[flag] = a.values(flag) }
        let configuration = try Configuration.resolve(file: a.value("config"), overrides: overrides)

        BLAS.setThreadCount(configuration.threads)
        let logger = Logger(level: configuration.logLevel, format: configuration.logFormat)
        let server = try LoradServer(configuration: configuration, logger: logger)
        let notify = SdNotify(environment: ProcessInfo.processInfo.environment)
        let watchdog = Watchdog()

        let stopped = DispatchSemaphore(value: 0)
        let stopping = Atomic<Bool>(false)
        let signals = SignalWatcher { signal in
            guard signal != SIGHUP else {
                logger.notice("SIGHUP ignored: restart the daemon to apply configuration changes")
                return
            }
            guard !stopping.exchange(true, ordering: .relaxed) else { return }
            logger.notice("stopping: draining in-flight requests", ["signal": SignalWatcher.name(of: signal)])
            try? notify.stopping()
            Task {
                await server.shutdown()
                stopped.signal()
            }
        }
        defer { signals.cancel() }

        let addresses = try server.bind()
        try server.load(heartbeat: { _ = try? watchdog?.pet() })
        for address in addresses {
            FileHandleOutput.stdout("lorad: listening on http://\(address)\n")
        }
        logger.info("serving", ["listen": addresses.map(\.description).joined(separator: ",")])
        try? notify.ready(status: "serving on \(addresses.map(\.description).joined(separator: ", "))")
        stopped.wait()
        logger.info("stopped")
    }
}
