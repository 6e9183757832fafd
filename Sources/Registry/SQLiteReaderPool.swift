import Synchronization

/// Read-only connections handed out one caller at a time.
///
/// Why a pool and not one locked reader: a chunked read runs caller code per
/// chunk (e.g. a merge download feeding a slow client). With one reader,
/// every other read — `GET /adapters`, an adapter load — would wait for it,
/// and a chunk callback that read the registry again would deadlock. Here a
/// caller that finds no idle connection simply opens another (WAL allows
/// any number of readers), so reads never wait on each other.
///
/// A connection is used by exactly one caller between checkout and checkin.
final class SQLiteReaderPool: Sendable {
    private typealias State = (idle: [SQLiteConnection], isClosed: Bool)
    private let state: Mutex<State>
    /// Connections kept open when returned; extra ones are closed.
    private let maxIdle: Int
    private let open: @Sendable () throws -> SQLiteConnection

    init(maxIdle: Int, open: @escaping @Sendable () throws -> SQLiteConnection) throws {
        self.maxIdle = max(1, maxIdle)
        self.open = open
        // Open one now so configuration problems surface at start, not on the first read.
        state = Mutex(([try open()], false))
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
        state.withLock { s in
            s.isClosed = true
            for connection in s.idle { connection.close() }
            s.idle.removeAll()
        }
    }

    struct PoolClosed: Error {}

    private func checkout() throws -> SQLiteConnection {
        let idle: SQLiteConnection? = try state.withLock { (s: inout sending State) throws(PoolClosed) -> sending SQLiteConnection? in
            if s.isClosed { throw PoolClosed() }
            return s.idle.popLast()
        }
        if let idle { return idle }
        return try open()
    }

    private func checkin(_ connection: SQLiteConnection) {
        // A connection must come back with no read transaction open, or its
        // snapshot would pin the WAL (no checkpoint past it) while idle.
        guard connection.isAutocommit else {
            connection.close()
            return
        }
        let kept = state.withLock { s in
            guard !s.isClosed && s.idle.count < maxIdle else { return false }
            s.idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}
