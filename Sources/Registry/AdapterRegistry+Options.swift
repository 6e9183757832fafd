extension AdapterRegistry {
    /// Connection settings, normally from `etc/lorad.conf`.
    public struct Options: Sendable, Equatable {
        /// FULL by default: see `AdapterRegistry`'s crash-consistency note.
        public var synchronous: SQLiteSynchronous
        /// How long a call waits for another process's lock before SQLITE_BUSY.
        public var busyTimeoutMilliseconds: Int32

        public init(synchronous: SQLiteSynchronous = .full, busyTimeoutMilliseconds: Int32 = 5_000) {
            self.synchronous = synchronous
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }
}
