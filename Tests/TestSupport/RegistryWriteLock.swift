import Foundation
import Registry

/// A registry's write lock held from a second connection, as another
/// process (a second daemon on the file, a backup) would hold it: an
/// insert of `lock-holder` whose weights arrive only on `release()`.
/// While it is held, every writer on the file waits for its busy timeout.
public final class RegistryWriteLock: Sendable {
    private let registry: AdapterRegistry
    private let unlock = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Returns once the lock is held.
    public init(path: String) throws {
        let registry = try AdapterRegistry(path: path)
        self.registry = registry
        let locked = DispatchSemaphore(value: 0)
        let (unlock, done) = (unlock, done)
        Thread {
            _ = try? registry.insert(NewAdapter(name: "lock-holder", configJSON: "{}"),
                                     weights: WeightsSource(byteCount: 1) { write in
                                         locked.signal()
                                         unlock.wait()
                                         try [UInt8(1)].withUnsafeBytes { try write($0) }
                                     })
            done.signal()
        }.start()
        locked.wait()
    }

    /// Lets the insert finish (it commits `lock-holder`) and closes the connection.
    public func release() {
        unlock.signal()
        done.wait()
        registry.close()
    }
}
