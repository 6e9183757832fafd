import Foundation
import Testing
import TestSupport
@testable import Registry
#if canImport(Glibc)
import Glibc
#endif

/// A registry file the daemon could only read is refused when it opens,
/// naming it, instead of being opened read-only behind its back so that
/// every later upload and delete fails with a 500. Needs an unprivileged
/// user: root writes through file permissions (a read-only filesystem, the
/// other way to get there, cannot be mounted here).
@Suite struct UnwritableRegistryTests {
    @Test(.enabled(if: geteuid() != 0, "root writes through permissions"))
    func aRegistryFileThatCanOnlyBeReadIsRefusedAtOpen() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry-ro").appendingPathComponent("registry.sqlite")
        try AdapterRegistry(url: url).close()
        #expect(chmod(url.path, 0o444) == 0)
        let error = #expect(throws: (any Error).self) { try AdapterRegistry(url: url) }
        #expect(String(describing: error).contains(url.path) && String(describing: error).contains("writable"), "\(String(describing: error))")
    }
}
