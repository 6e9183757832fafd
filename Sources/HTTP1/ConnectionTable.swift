import Synchronization

/// A server's listeners and open connections, shared by the accept path,
/// every connection's close and `HTTPServer`'s accessors.
final class ConnectionTable: Sendable {
    private struct Entries {
        var listeners: [Listener] = []
        var connections: [Int: Connection] = [:]
        /// Connections told to close to make room, not closed yet; their
        /// slots already belong to the connections admitted in their place.
        var evicted: Set<Int> = []
        var nextID = 0
    }
    private let entries = Mutex(Entries())

    func addListener(_ listener: Listener) { entries.withLock { $0.listeners.append(listener) } }

    /// Removes and returns the listeners (shutdown).
    func takeListeners() -> [Listener] {
        entries.withLock { e in
            defer { e.listeners = [] }
            return e.listeners
        }
    }

    var addresses: [SocketAddress] { entries.withLock { $0.listeners.map(\.address) } }
    var connectionCount: Int { entries.withLock { $0.connections.count } }
    var connections: [Connection] { entries.withLock { Array($0.connections.values) } }
    /// Connections idle now (between requests, or not one byte sent yet).
    var idleCount: Int { entries.withLock { $0.connections.values.count { $0.idleMark.load(ordering: .relaxed) != 0 } } }

    /// A new connection id, or nil when `limit` connections are open and none
    /// of them is idle. At the limit, the connection idle the longest gives
    /// up its slot: it is returned as `evict`, for the caller to close.
    func admit(limit: Int) -> (id: Int, evict: Connection?)? {
        entries.withLock { e in
            var victim: Connection?
            if e.connections.count - e.evicted.count >= limit {
                // Oldest idle first; claiming its mark (compare-exchange to 0)
                // keeps two listeners' accepts from taking the same one.
                let idle = e.connections.values.compactMap { c -> (Connection, UInt64)? in
                    let since = c.idleMark.load(ordering: .relaxed)
                    return since == 0 || e.evicted.contains(c.id) ? nil : (c, since)
                }.sorted { $0.1 < $1.1 }
                for (c, since) in idle where c.idleMark.compareExchange(expected: since, desired: 0, ordering: .relaxed).exchanged {
                    victim = c
                    break
                }
                guard let victim else { return nil }
                e.evicted.insert(victim.id)
            }
            e.nextID += 1
            return (e.nextID, victim)
        }
    }

    func insert(_ connection: Connection) { entries.withLock { $0.connections[connection.id] = connection } }

    func remove(_ id: Int) {
        entries.withLock { e in
            e.connections.removeValue(forKey: id)
            e.evicted.remove(id)
        }
    }
}
