import Foundation
import Testing
import TestSupport
@testable import Registry

/// Another process holding the registry's write lock past the busy timeout
/// is `RegistryError.busy` (transient, nothing changed), not an opaque
/// SQLite error; once the lock is gone the same calls succeed.
@Suite struct RegistryBusyTests {
    @Test func aWriteLockHeldElsewhereIsBusyAndChangesNothing() throws {
        let (registry, url) = try RegistryTestSupport.freshRegistry(options: .init(busyTimeoutMilliseconds: 50))
        try registry.insert(NewAdapter(name: "kept", configJSON: "{}"), weights: Data([1]))
        let other = try SQLiteConnection(path: url.path)
        try other.execute("BEGIN EXCLUSIVE")

        let insert = try #require(throws: RegistryError.self) {
            try registry.insert(NewAdapter(name: "new", configJSON: "{}"), weights: Data([2]))
        }
        guard case .busy(let path, let context, let waited) = insert else {
            Issue.record("expected busy, got \(insert)")
            return
        }
        #expect(path == url.path && waited == 50)
        #expect(context.contains("BEGIN"), "\(context)")
        #expect(insert.description.contains("retry"))
        let delete = try #require(throws: RegistryError.self) { try registry.delete(named: "kept") }
        guard case .busy = delete else {
            Issue.record("expected busy, got \(delete)")
            return
        }

        try other.execute("ROLLBACK")
        #expect(try registry.list().map(\.name) == ["kept"])
        #expect(try registry.insert(NewAdapter(name: "new", configJSON: "{}"), weights: Data([2])).name == "new")
        #expect(try registry.delete(named: "kept"))
    }
}
