import Foundation
import Registry
import Serving
import Synchronization

/// The registry rows of adapters imported from `adapter_dirs` or the hub
/// cache, written behind the first request instead of in front of it.
///
/// Why the request need not wait: the folder is where that adapter durably
/// lives. If the process dies before its row is written nothing is lost —
/// the next request for the name imports the folder again — so the first
/// request is answered from the validated, built adapter at once, and the
/// row (one `BEGIN IMMEDIATE` transaction with a `synchronous=FULL` commit,
/// tens of milliseconds for a 2 MB adapter) is written here, one at a time.
/// An upload is different: it is acknowledged only once stored.
///
/// Until its row is written an import is *pending*: the resolver serves a
/// miss for that name from here, so an eviction meanwhile does not import
/// the folder a second time. Whoever changes the name in the registry
/// first (`DELETE /adapters/NAME`, an upload, `load_lora_adapter`) calls
/// `withdraw`; the write asks whether it is still wanted under the
/// registry's writer lock (`AdapterRegistry.insert(_:weights:replace:stillWanted:)`),
/// so a withdrawn import never lands after the change that superseded it.
public final class FolderImportWrites: Sendable {
    /// One import waiting for its row. `token` tells it from a later
    /// import of the same name (after a withdraw).
    struct Pending: Sendable {
        let token: UInt64
        let new: NewAdapter
        let payload: AdapterPayload
        let folder: String
    }

    /// What the writes did so far (for the benchmark and the logs' reader).
    public struct Stats: Sendable, Equatable {
        /// Imports queued (one per folder import that passed validation).
        public var queued = 0
        /// Rows written.
        public var written = 0
        /// Imports withdrawn (deleted or superseded) while pending; one
        /// withdrawn after its commit was also written (and the withdrawer's
        /// own write then found its row).
        public var withdrawn = 0
        /// Writes that failed (logged, and counted in
        /// `lorad_folder_import_store_failures_total`); the served copy is
        /// dropped, so the next request imports the folder again and
        /// retries the write.
        public var failed = 0
        /// Imports whose name another process stored first (the registry's
        /// version is served from then on).
        public var lostToAnotherWriter = 0
        /// Seconds spent in the registry inserts that wrote a row.
        public var writeSeconds = 0.0
    }

    let registry: AdapterRegistry
    let compatibility: AdapterCompatibility
    let logger: Logger
    private let state = Mutex<(nextToken: UInt64, pending: [String: Pending], stats: Stats)>((1, [:], Stats()))
    /// One write at a time, in order: the registry has a single writer
    /// anyway, and a serial queue makes `drain` a `sync {}`.
    private let queue = DispatchQueue(label: "lorad.folder-import-writes", qos: .utility)
    /// Test seam: runs on the write's thread with the adapter's name just
    /// before the registry insert (outside the writer lock), so a test can
    /// hold a write back and change the registry meanwhile.
    let beforeWrite = Mutex<(@Sendable (String) -> Void)?>(nil)
    /// Told the names whose served copy must go: another writer stored the
    /// name first (the copy came from the folder, the registry holds
    /// something else), or the row could not be written (the copy would
    /// be served from memory alone — not listed, not deletable — until
    /// evicted). The adapter cache's `discard` (the request whose import
    /// this was still runs it), set once the cache exists.
    private let dropServed = Mutex<(@Sendable (String) -> Void)?>(nil)

    init(registry: AdapterRegistry, compatibility: AdapterCompatibility, logger: Logger) {
        self.registry = registry
        self.compatibility = compatibility
        self.logger = logger
    }

    /// Whom to tell when a pending import's served copy must go: its name
    /// went to a write from outside this process, or its row could not be
    /// written (`AdapterCache.discard`).
    func onDropServed(_ body: @escaping @Sendable (String) -> Void) {
        dropServed.withLock { $0 = body }
    }

    public var stats: Stats { state.withLock { $0.stats } }

    /// Names whose row is still to be written.
    public var pendingNames: [String] { state.withLock { $0.pending.keys.sorted() } }

    /// The payload of `name`'s pending import, or nil.
    func payload(of name: String) -> AdapterPayload? {
        state.withLock { $0.pending[name]?.payload }
    }

    /// Makes `payload` the pending import of its name (replacing an earlier
    /// one, whose write then stores nothing) and queues its row.
    func enqueue(_ new: NewAdapter, payload: AdapterPayload, folder: String) {
        let pending = state.withLock { s -> Pending in
            defer { s.nextToken += 1 }
            let pending = Pending(token: s.nextToken, new: new, payload: payload, folder: folder)
            s.pending[payload.name] = pending
            s.stats.queued += 1
            return pending
        }
        queue.async { [self] in write(pending) }
    }

    /// Calls off `name`'s pending import, if any: its row will not be
    /// written (or, when its transaction already began, is written before
    /// the caller's own registry write, which the caller then sees).
    /// Returns whether there was one.
    @discardableResult
    func withdraw(_ name: String) -> Bool {
        state.withLock { s in
            guard s.pending.removeValue(forKey: name) != nil else { return false }
            s.stats.withdrawn += 1
            return true
        }
    }

    /// Waits until every queued write has finished (before the registry
    /// closes at shutdown).
    public func drain() {
        queue.sync {}
    }

    private func isCurrent(_ pending: Pending) -> Bool {
        state.withLock { $0.pending[pending.new.name]?.token == pending.token }
    }

    /// Counts how `pending`'s write ended and ends it, if it is still the
    /// name's current import (a withdraw may have come first).
    private func finish(_ pending: Pending, _ update: (inout Stats) -> Void) {
        state.withLock { s in
            update(&s.stats)
            if s.pending[pending.new.name]?.token == pending.token { s.pending[pending.new.name] = nil }
        }
    }

    private func write(_ pending: Pending) {
        let name = pending.new.name
        if let hook = beforeWrite.withLock({ $0 }) { hook(name) }
        let start = ContinuousClock.now
        do {
            guard let record = try registry.insert(pending.new, weights: .data(pending.payload.weights),
                                                   stillWanted: { isCurrent(pending) }) else {
                logger.info("adapter import from folder withdrawn before it was stored", ["adapter": name])
                return
            }
            let seconds = (ContinuousClock.now - start).seconds
            compatibility.remember(name: name, generation: record.generation, problem: nil)
            finish(pending) { $0.written += 1; $0.writeSeconds += seconds }
            logger.info("adapter from folder stored in the registry",
                        ["adapter": name, "sha256": record.sha256, "store_ms": LogValue(seconds * 1000, decimals: 1)])
        } catch RegistryError.alreadyExists {
            // Stored by another process meanwhile (uploads in this one
            // withdraw first): serve what the registry holds from now on.
            finish(pending) { $0.lostToAnotherWriter += 1 }
            dropServed.withLock { $0 }?(name)
            logger.warning("adapter from folder not stored: the registry got that name meanwhile; serving the registry's",
                           ["adapter": name, "path": pending.folder])
        } catch {
            // The folder still holds it: dropping the served copy makes the
            // next request import it again (and retry this write), rather
            // than serve an adapter no listing shows and no DELETE reaches.
            finish(pending) { $0.failed += 1 }
            dropServed.withLock { $0 }?(name)
            logger.error("adapter from folder could not be stored in the registry; the next request for it "
                         + "imports the folder again",
                         ["adapter": name, "path": pending.folder, "error": String(describing: error)])
        }
    }
}
