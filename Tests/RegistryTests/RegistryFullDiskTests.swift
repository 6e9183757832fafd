import Testing
@testable import Registry

/// SQLite's SQLITE_FULL (any extended form) becomes `RegistryError.full`,
/// naming the registry: the daemon answers it 507, not a 500 that reads as a
/// bug. (Filling a disk for real needs a mount; checked by hand on a tmpfs.)
@Suite struct RegistryFullDiskTests {
    /// SQLITE_FULL is 13 (sqlite.org/rescode.html#full); extended codes keep it in the low byte.
    @Test(arguments: [Int32(13), Int32(13 | (1 << 8))])
    func aFullDiskIsNamedAsSuch(code: Int32) {
        let mapped = AdapterRegistry.mapped(SQLiteError(code: code, message: "database or disk is full", context: "COMMIT"),
                                            path: "/srv/registry.sqlite", busyTimeout: 5000)
        #expect(mapped as? RegistryError == .full(path: "/srv/registry.sqlite", context: "COMMIT"))
        #expect(String(describing: mapped).contains("free space"))
    }
}
