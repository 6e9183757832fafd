import Foundation

/// Read-only connections handed out one caller at a time.
///
/// Why a pool and not one locked reader: a chunked read runs caller code per
/// chunk (e.g. a merge download feeding a slow client). With one reader,
/// every other read — `GET /adapters`, an adapter load — would wait for it,
/// and a chunk callback that read the registry again would deadlock. Here a
/// caller that finds no idle connection simply opens another (WAL allows
/// any number of readers), so reads never wait on each other.
final class SQLiteReaderPool: @unchecked Sendable {
    // @unchecked Sendable: `idle` and `isClosed` are only touched under `lock`,
    // and a connection is used by exactly one caller between checkout and checkin.

    private let lock = NSLock()
    private var idle: [SQLiteConnection] = []
    private var isClosed = false
    /// Connections kept open when returned; extra ones are closed.
    private let maxIdle: Int
    private let open: @Sendable () throws -> SQLiteConnection

    init(maxIdle: Int, open: @escaping @Sendable () throws -> SQLiteConnection) throws {
        self.maxIdle = max(1, maxIdle)
        self.open = open
        // Open one now so configuration problems surface at start, not on the first read.
        idle.append(try open())
    }

    /// Runs `body` on a connection nobody else is using.
    /// - Throws: `PoolClosed` after `close()`, or whatever opening or `body` throws.
    func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    /// Closes idle connections now and busy ones as they come back.
    func close() {
        lock.lock()
        isClosed = true
        let closing = idle
        idle.removeAll()
        lock.unlock()
        for connection in closing { connection.close() }
    }

    struct PoolClosed: Error {}

    private func checkout() throws -> SQLiteConnection {
        lock.lock()
        if isClosed {
            lock.unlock()
            throw PoolClosed()
        }
        if let connection = idle.popLast() {
            lock.unlock()
            return connection
        }
        lock.unlock()
        return try open()
    }

    private func checkin(_ connection: SQLiteConnection) {
        // A connection must come back with no read transaction open, or its
        // snapshot would pin the WAL (no checkpoint past it) while idle.
        guard connection.isAutocommit else {
            connection.close()
            return
        }
        lock.lock()
        if !isClosed && idle.count < maxIdle {
            idle.append(connection)
            lock.unlock()
        } else {
            lock.unlock()
            connection.close()
        }
    }
}
