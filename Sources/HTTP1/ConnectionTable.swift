import Synchronization

/// A server's listeners and open connections, shared by the accept path,
/// every connection's close and `HTTPServer`'s accessors.
final class ConnectionTable: Sendable {
    private struct Entries {
        var listeners: [Listener] = []
        var connections: [Int: Connection] = [:]
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

    /// A new connection id, or nil when `limit` connections are open.
    func reserveID(limit: Int) -> Int? {
        entries.withLock { e in
            guard e.connections.count < limit else { return nil }
            e.nextID += 1
            return e.nextID
        }
    }

    func insert(_ connection: Connection) { entries.withLock { $0.connections[connection.id] = connection } }
    func remove(_ id: Int) { entries.withLock { _ = $0.connections.removeValue(forKey: id) } }
}
