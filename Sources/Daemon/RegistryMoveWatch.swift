import Dispatch
import Registry
import Synchronization

/// Looks every few seconds whether the registry file at the configured path
/// is still the one open. When it was deleted, renamed or replaced, its
/// rows are checkpointed into the moved file at once (a crash before the
/// next write or the shutdown would otherwise leave them in a WAL under
/// the path, for the next start to apply to whatever file is there) and
/// one warning says so — writes are refused from then on anyway.
final class RegistryMoveWatch: @unchecked Sendable {  // `timer` is set in init and only cancelled after (DispatchSource is thread-safe)
    private let timer: DispatchSourceTimer

    init(registry: AdapterRegistry, path: String, logger: Logger, every seconds: Double = 2) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "lorad.registry-move-watch", qos: .utility))
        let warned = Mutex(false)
        timer.setEventHandler {
            guard registry.checkpointIfMoved(), !warned.withLock({ w in defer { w = true }; return w }) else { return }
            logger.warning("the registry file was deleted, renamed or replaced while lorad runs: writes are refused, and "
                           + "what it held was written into the moved file; restart lorad to open what is at the path now",
                           ["path": path])
        }
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.resume()
    }

    /// Stops looking (before the registry closes).
    func cancel() { timer.cancel() }
}
