import Foundation

/// The SQLite store of uploaded LoRA adapters (issue 6): per adapter the
/// original `adapter_config.json`, the safetensors bytes, their sha256 and
/// the derived metadata the daemon lists.
///
/// ## Threading
/// Two connections to the same file, each confined behind its own lock:
/// a **writer** (inserts, replaces, deletes — one `BEGIN IMMEDIATE`
/// transaction each) and a **reader** (metadata, weights, integrity check).
/// WAL lets the reader see the last committed state while a long upload is
/// still streaming into the writer, so `GET /adapters` and adapter loads are
/// never stuck behind a slow upload. A closure passed to a chunked read runs
/// under the reader lock: it must not call back into the registry's reads.
///
/// ## Crash consistency
/// Every change is one SQLite transaction in WAL mode. A writer killed at
/// any point (`kill -9`, mid-blob or mid-delete) leaves WAL frames without a
/// commit record, which the next opener's WAL recovery ignores
/// (https://sqlite.org/wal.html): the half-written adapter is absent and the
/// previous state is intact. `synchronous = FULL` fsyncs the WAL at each
/// commit, so an acknowledged upload also survives power loss (NORMAL would
/// survive process death only); uploads are rare, so one fsync each is cheap.
public final class AdapterRegistry: @unchecked Sendable {
    // @unchecked Sendable: the two connections are only touched while holding
    // their own lock (`writing` / `reading`); everything else is immutable.

    /// The database file.
    public let path: String
    public let options: Options

    private let writer: SQLiteConnection
    private let writerLock = NSLock()
    private let reader: SQLiteConnection
    private let readerLock = NSLock()
    /// Guarded by both locks (set only while holding both).
    private var isClosed = false

    /// Opens (creating if needed) the registry at `path`, configures both
    /// connections and migrates the schema forward.
    /// - Throws: `RegistryError.unsupportedSchemaVersion` for a file from a
    ///   newer lorad, `.notARegistry` for someone else's database, `.sqlite`
    ///   when SQLite cannot open or configure the file.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        do {
            writer = try SQLiteConnection(path: path)
            try writer.configure(synchronous: options.synchronous,
                                 busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
            try Self.prepareSchema(on: writer, path: path)
            reader = try SQLiteConnection(path: path)
            try reader.configure(synchronous: options.synchronous,
                                 busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
            // The reader never writes; make that a SQLite-enforced fact.
            try reader.execute("PRAGMA query_only = ON")
        } catch {
            throw Self.mapped(error, path: path)
        }
    }

    /// Opens the registry at a file URL.
    public convenience init(url: URL, options: Options = Options()) throws {
        try self.init(path: url.path, options: options)
    }

    deinit {
        writer.close()
        reader.close()
    }

    /// Closes both connections (the last one checkpoints the WAL into the
    /// main file). Later calls throw `RegistryError.closed`.
    public func close() {
        writerLock.lock()
        readerLock.lock()
        isClosed = true
        reader.close()
        writer.close()
        readerLock.unlock()
        writerLock.unlock()
    }

    // MARK: Confinement

    /// Runs `body` with the writer connection under the writer lock. SQLite
    /// and schema errors leave as `RegistryError`; other errors (a weights
    /// source's own) pass through unchanged.
    @discardableResult
    func withWriter<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        guard !isClosed else { throw RegistryError.closed(path: path) }
        do {
            return try body(writer)
        } catch {
            throw Self.mapped(error, path: path)
        }
    }

    /// Runs `body` with the reader connection under the reader lock.
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        readerLock.lock()
        defer { readerLock.unlock() }
        guard !isClosed else { throw RegistryError.closed(path: path) }
        do {
            return try body(reader)
        } catch {
            throw Self.mapped(error, path: path)
        }
    }

    static func mapped(_ error: any Error, path: String) -> any Error {
        switch error {
        case let e as SQLiteError:
            return RegistryError.sqlite(code: e.code, message: e.message, context: e.context)
        case let e as SchemaTooNewError:
            return RegistryError.unsupportedSchemaVersion(path: path, found: e.found, supported: e.supported)
        default:
            return error
        }
    }
}
