extension AdapterRegistry {
    /// Connection settings, normally from `etc/lorad.conf`.
    public struct Options: Sendable, Equatable {
        /// FULL by default: see `AdapterRegistry`'s crash-consistency note.
        public var synchronous: SQLiteSynchronous
        /// How long a call waits for another process's lock before SQLITE_BUSY.
        public var busyTimeoutMilliseconds: Int32
        /// Reader connections kept open between reads (more are opened on
        /// demand when reads overlap, and closed afterwards).
        public var idleReaders: Int

        /// Defaults: FULL, 5 s busy timeout, 4 idle readers.
        public init(synchronous: SQLiteSynchronous = .full, busyTimeoutMilliseconds: Int32 = 5_000,
                    idleReaders: Int = 4) {
            self.synchronous = synchronous
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.idleReaders = idleReaders
        }
    }
}
