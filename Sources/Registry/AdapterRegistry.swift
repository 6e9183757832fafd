import CSQLite
import FileReading
import Foundation
import Synchronization

/// The SQLite store of uploaded LoRA adapters: per adapter the
/// original `adapter_config.json`, the safetensors bytes, their sha256 and
/// the derived metadata the daemon lists.
///
/// ## Threading
/// One **writer** connection behind a lock (inserts, replaces, deletes — one
/// `BEGIN IMMEDIATE` transaction each; SQLite allows one writer per file
/// anyway) and a pool of `query_only` **reader** connections, one per
/// concurrent read. WAL lets readers see the last committed state while a
/// long upload is still streaming into the writer, so `GET /adapters` and
/// adapter loads are never stuck behind an upload or behind each other.
///
/// ## Crash consistency
/// Every change is one SQLite transaction in WAL mode. A writer killed at
/// any point (`kill -9`, mid-blob or mid-delete) leaves WAL frames without a
/// commit record, which the next opener's WAL recovery ignores
/// (https://sqlite.org/wal.html): the half-written adapter is absent and the
/// previous state is intact. `synchronous = FULL` fsyncs the WAL at each
/// commit, so an acknowledged upload also survives power loss (NORMAL would
/// survive process death only); uploads are rare, so one fsync each is cheap.
///
/// ## Validation against a base
/// The registry does not know models. The daemon checks each row against the
/// loaded base on first use and keeps the outcome here (`storeCheck`,
/// `adapter_checks`) with an opaque fingerprint of that base, so a restart
/// on the same base checks nothing again; rows are never dropped or altered
/// for failing.
public final class AdapterRegistry: @unchecked Sendable {
    // @unchecked Sendable: the writer connection (not Sendable) is only used
    // while holding `writerClosed`; the reader pool is itself thread-safe.

    /// The database file.
    public let path: String
    public let options: Options

    private let writer: SQLiteConnection
    private let readers: SQLiteReaderPool
    /// Whether `close()` ran; held while the writer is used.
    private let writerClosed = Mutex(false)

    /// Opens (creating if needed) the registry at `path`, configures the
    /// writer and a first reader, and migrates the schema forward.
    ///
    /// With `options.readOnly` the file must already be a registry of this
    /// very schema version, and nothing is written: see `openReadOnly`.
    /// - Throws: `RegistryError.unsupportedSchemaVersion` for a file from a
    ///   newer lorad, `.notARegistry` for someone else's database or a path
    ///   that is not a regular file, `.needsMigration` (read-only) for an
    ///   older schema, `.sqlite` when SQLite cannot open or configure the file.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        // SQLite opens the path itself: a FIFO there would block its open(2).
        do { try RegularFile.refuseUnlessRegular(path) } catch {
            if case .notRegularFile(_, let type) = error {
                throw RegistryError.notARegistry(path: path, reason: "it is \(type), not a regular file")
            }
            // Anything else (a folder on the way that cannot be searched) is SQLite's to report.
        }
        if options.readOnly {
            (writer, readers) = try Self.openReadOnly(path: path, options: options)
            return
        }
        do {
            writer = try SQLiteConnection(path: path)
            // Whose file it is is read before anything writes to it: enabling
            // WAL alone rewrites the header of someone else's database.
            try writer.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)
            try Self.refuseForeign(writer, path: path)
            try writer.configure(synchronous: options.synchronous,
                                 busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
            try writer.migrate(Self.migrations)
            readers = try SQLiteReaderPool(maxIdle: options.idleReaders) {
                let reader = try SQLiteConnection(path: path)
                try reader.configure(synchronous: options.synchronous,
                                     busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
                // Readers never write; make that a SQLite-enforced fact.
                try reader.execute("PRAGMA query_only = ON")
                return reader
            }
        } catch {
            throw Self.mapped(error, path: path, busyTimeout: options.busyTimeoutMilliseconds)
        }
    }

    /// Opens the registry at a file URL.
    public convenience init(url: URL, options: Options = Options()) throws {
        try self.init(path: url.path, options: options)
    }

    deinit { close() }

    /// Closes both connections (the last one checkpoints the WAL into the
    /// main file; SQLite skips that for a file that moved, so it is done
    /// here: `SQLiteConnection.checkpointIntoMovedFile`). Later calls throw
    /// `RegistryError.closed`.
    public func close() {
        readers.close()
        writerClosed.withLock { isClosed in
            isClosed = true
            if writer.hasMoved { writer.checkpointIntoMovedFile() }
            writer.close()
        }
    }

    /// Whether the file at the path is no longer the one open (deleted,
    /// renamed or replaced); when so, what it holds is checkpointed into the
    /// moved file now (`SQLiteConnection.checkpointIntoMovedFile`), so even
    /// a crash before the next write or the close leaves no WAL of it under
    /// the path. For a periodic check by the daemon.
    public func checkpointIfMoved() -> Bool {
        writerClosed.withLock { isClosed in
            guard !isClosed, writer.hasMoved else { return false }
            writer.checkpointIntoMovedFile()
            return true
        }
    }

    // MARK: Confinement

    /// Runs `body` with the writer connection under the writer lock. SQLite
    /// and schema errors leave as `RegistryError`; other errors (a weights
    /// source's own) pass through unchanged.
    @discardableResult
    func withWriter<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writerClosed.withLock { isClosed in
            guard !isClosed else { throw RegistryError.closed(path: path) }
            guard !options.readOnly else { throw RegistryError.readOnly(path: path) }
            do {
                return try body(writer)
            } catch {
                throw Self.mapped(error, path: path, busyTimeout: options.busyTimeoutMilliseconds)
            }
        }
    }

    /// Runs `body` with a reader connection of its own.
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        do {
            return try readers.withConnection(body)
        } catch is SQLiteReaderPool.PoolClosed {
            throw RegistryError.closed(path: path)
        } catch {
            throw Self.mapped(error, path: path, busyTimeout: options.busyTimeoutMilliseconds)
        }
    }

    static func mapped(_ error: any Error, path: String, busyTimeout: Int32) -> any Error {
        switch error {
        case let e as SQLiteError where e.primaryCode == SQLITE_BUSY:
            // Transient: the busy timeout ran out while another connection
            // held the lock (and the transaction, if any, rolled back).
            return RegistryError.busy(path: path, context: e.context, waitedMilliseconds: busyTimeout)
        case let e as SQLiteError where e.primaryCode == SQLITE_FULL:
            return RegistryError.full(path: path, context: e.context)
        case let e as SQLiteError:
            return RegistryError.sqlite(code: e.code, message: e.message, context: e.context)
        case let e as SchemaTooNewError:
            return RegistryError.unsupportedSchemaVersion(path: path, found: e.found, supported: e.supported)
        default:
            return error
        }
    }
}
