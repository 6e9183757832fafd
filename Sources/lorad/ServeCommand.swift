import CLI
import Daemon
import Dispatch
import Foundation
import Kernels
import Serving
import Synchronization
import Systemd

/// `lorad serve`: the daemon. Settings come from the defaults, then
/// `--config FILE`, then flags (`Configuration`).
enum ServeCommand {
    /// `options` and, after it, every configuration flag it does not
    /// describe (each key of etc/lorad.conf is a flag: `ConfigKey.flagName`),
    /// so the help never falls behind the keys.
    static var usage: String {
        let described = Set(options.split(separator: " ").filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) })
        let rest = Configuration.flagNames.subtracting(described).sorted().map { "--" + $0 }
        return options + "\nAlso every other key of etc/lorad.conf, spelt with - for _ (defaults there):\n"
            + wrap(rest, indent: "  ") + "\n" + signals
    }

    /// Words joined into lines of at most 100 characters.
    static func wrap(_ words: [String], indent: String) -> String {
        var lines: [String] = [], line = indent
        for word in words {
            if line.count + word.count + 1 > 100, line != indent {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        return (lines + [line]).joined(separator: "\n")
    }

    static let options = """
    usage: lorad serve [--config FILE] [options]
      --config FILE                key = value settings (etc/lorad.conf documents every key)
      --model DIR                  Hugging Face model folder (default: the bundled models/tiny-llama)
      --registry FILE              SQLite adapter registry (default: ./lorad.sqlite, or $STATE_DIRECTORY/registry.sqlite)
      --listen ADDR                host:port to listen on, repeatable (default: 127.0.0.1:8080; port 0 = any free port)
      --trusted-listen ADDR        loopback host:port whose requests need no token (a same-pod sidecar), repeatable
      --adapter-dirs DIR[,DIR]     folders adapters may be read from (DIR/NAME, DIR/ORG/NAME) (default: none)
      --hf-hub-cache DIR|auto|off  Hugging Face hub cache serving hub ids ORG/NAME (default: auto = $HF_HUB_CACHE, …)
      --admin-token-file FILE      bearer token required for upload/delete/merge (default: none, open)
      --inference-token-file FILE  bearer token required for inference (default: none, open)
      --max-batch N                sequences decoded together (default: 8)
      --max-queue N                sequences waiting for a batch slot (each of n choices is one) before 503 + Retry-After (default: 64)
      --adapter-cache-mb N         byte budget of resident adapters (default: 512)
      --kv-cache-mb N              KV cache budget over all sequences (default: 256)
      --context-length N           positions per sequence, prompt + generated (default: 0 = the model's)
      --threads N                  BLAS threads, or auto (default: auto = cores)
      --max-upload-mb N            largest adapter upload (default: 256)
      --drain-timeout-s S          on SIGTERM, how long in-flight requests may finish (default: 30)
      --log-level L, --log-format F
    """

    static let signals = """
    Prints `lorad: listening on http://HOST:PORT` on stdout once serving.
    SIGTERM/SIGINT: stop accepting, drain, close the registry, exit 0.
    SIGHUP: re-read the token files and log_level (other keys need a restart).
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: Configuration.flagNames.union(["config"]))
        if let extra = a.positional.first { throw UsageError.badValue(option: "serve", value: extra, expected: "no positional arguments") }
        var overrides: [String: [String]] = [:]
        for flag in Configuration.flagNames where !a.values(flag).isEmpty { overrides[flag] = a.values(flag) }
        let configFile = a.value("config"), flags = overrides
        let configuration = try Configuration.resolve(file: configFile, overrides: flags)

        Compute.setThreads(configuration.threads)
        let logger = Logger(level: configuration.logLevel, format: configuration.logFormat)
        // Lines still queued for stderr (LogQueue) reach it before the exit,
        // or before the error that ends the start-up is printed after them.
        defer { logger.flush() }
        let server = try LoradServer(configuration: configuration, logger: logger)
        let notify = SdNotify(environment: ProcessInfo.processInfo.environment)
        let watchdog = Watchdog()

        let stopped = DispatchSemaphore(value: 0)
        let stopping = Atomic<Bool>(false)
        let signals = SignalWatcher { signal in
            if signal == SIGHUP {
                guard !stopping.load(ordering: .relaxed) else { return }
                reload(server: server, notify: notify, logger: logger, file: configFile, overrides: flags)
                return
            }
            guard !stopping.exchange(true, ordering: .relaxed) else { return }
            logger.notice("stopping: draining in-flight requests", ["signal": SignalWatcher.name(of: signal)])
            notifying(logger, "STOPPING=1") { try notify.stopping(status: "draining in-flight requests") }
            Task {
                await server.shutdown()
                stopped.signal()
            }
        }
        defer { signals.cancel() }

        let addresses = try server.bind()
        // Reading a large base takes a while: ask systemd once for time in
        // proportion (a minute plus 100 MB/s, a slow disk), rather than
        // extending again and again, so a load that truly hangs still times out.
        let weightBytes = Self.weightBytes(folder: configuration.model)
        notifying(logger, "EXTEND_TIMEOUT_USEC") { try notify.extendTimeout(seconds: 60 + Double(weightBytes) / 100e6) }
        do {
            try server.load(heartbeat: { _ = try? watchdog?.pet() }, heartbeatInterval: watchdog?.intervalSeconds)
        } catch EngineError.shuttingDown where stopping.load(ordering: .relaxed) {
            // SIGTERM during the load stopped it: a stop, not a failure
            // (systemd would mark the unit failed on a non-zero exit).
            stopped.wait()
            logger.info("stopped before serving")
            return
        }
        // The logger writes from its own queue: the start-up lines (model,
        // sampling defaults, warnings) reach stderr before the listening
        // line reaches stdout, so whoever waits for that line finds them.
        logger.flush()
        let trustedCount = server.configuration.trustedListen.count
        for (i, address) in addresses.enumerated() {
            let trusted = i >= addresses.count - trustedCount ? " (trusted_listen: no token asked)" : ""
            FileHandleOutput.stdout("lorad: listening on http://\(address)\(trusted)\n")
        }
        logger.info("serving", ["listen": addresses.map(\.description).joined(separator: ",")])
        // READY=1 only now: the listeners are bound and /health answers 200.
        notifying(logger, "READY=1") { try notify.ready(status: status(server)) }
        stopped.wait()
        logger.info("stopped")
    }

    /// `STATUS=` for `systemctl status`: the model, where it listens, the adapters.
    static func status(_ server: LoradServer) -> String {
        let addresses = server.http.addresses.map(\.description).joined(separator: ", ")
        guard let service = server.service else { return "not serving" }
        let stored = (try? service.registry.count()).map(String.init) ?? "?"
        return "serving \(service.modelID) on \(addresses); adapters: \(stored) stored, "
            + "\(service.cache.residentNames.count) resident"
    }

    /// Sends a notification, logging a failure: systemd waiting for a
    /// `READY=1` that never came would time the service out with no word why.
    static func notifying(_ logger: Logger, _ message: String, _ send: () throws -> Void) {
        do { try send() } catch {
            logger.warning("sd_notify failed", ["message": message, "error": String(describing: error)])
        }
    }

    /// Bytes of the model folder's `.safetensors` files (0 if unreadable).
    static func weightBytes(folder: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.reduce(0) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name))?[.size] as? Int
            return total + (size ?? 0)
        }
    }

    /// SIGHUP: `RELOADING=1`, reopen the logs, re-read the configuration and
    /// apply what can change while serving (`LoradServer.reload`), `READY=1`.
    /// A configuration that no longer parses changes nothing.
    static func reload(server: LoradServer, notify: SdNotify, logger: Logger, file: String?, overrides: [String: [String]]) {
        notifying(logger, "RELOADING=1") { try notify.reloading(status: "reloading configuration") }
        logger.reopen()
        do {
            let fresh = try Configuration.resolve(file: file, overrides: overrides)
            server.reload(fresh)
        } catch {
            logger.error("reload: configuration rejected; nothing changed", ["error": error.description])
        }
        notifying(logger, "READY=1") { try notify.ready(status: status(server)) }
    }
}
