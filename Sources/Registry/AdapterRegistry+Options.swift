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
        /// Open an existing registry without writing to it at all (`lorad
        /// adapters list`): no file is created, no journal mode set, no
        /// schema migrated; see `AdapterRegistry.init`.
        public var readOnly: Bool

        /// Defaults: FULL, 5 s busy timeout, 4 idle readers, read-write.
        public init(synchronous: SQLiteSynchronous = .full, busyTimeoutMilliseconds: Int32 = 5_000,
                    idleReaders: Int = 4, readOnly: Bool = false) {
            self.synchronous = synchronous
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.idleReaders = idleReaders
            self.readOnly = readOnly
        }
    }
}
