import Foundation
import Testing
import TestSupport
@testable import Registry

/// `AdapterRegistry.Options.readOnly` (`lorad adapters list`): a registry is
/// read as it is, and anything else is refused and left byte for byte as it
/// was — never made into a registry, never migrated, its journal mode never
/// switched.
@Suite struct RegistryReadOnlyTests {
    static let readOnly = AdapterRegistry.Options(readOnly: true)

    /// The refusal of opening `url` read-only, with the file's bytes before
    /// and after.
    static func refusal(_ url: URL) throws -> (error: RegistryError, before: Data, after: Data) {
        let before = try Data(contentsOf: url)
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry(url: url, options: readOnly) }
        return (error, before, try Data(contentsOf: url))
    }

    @Test func anEmptyFileIsRefusedAndStaysEmpty() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("empty.sqlite3")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data()))
        let (error, _, after) = try Self.refusal(url)
        #expect(error == .notARegistry(path: url.path, reason: "it is empty (`lorad serve` creates a registry)"))
        #expect(after.isEmpty)
        // A read-write open afterwards still makes it a registry as before.
        let registry = try AdapterRegistry(url: url)
        #expect(try registry.list().isEmpty)
    }

    @Test func someoneElsesDatabaseIsRefusedAndLeftByteForByte() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("other.sqlite3")
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.execute("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')")
        }
        let (error, before, after) = try Self.refusal(url)
        #expect(error == .notARegistry(path: url.path,
                                       reason: "application_id is 0, a lorad registry has \(AdapterRegistry.applicationID)"))
        #expect(after == before)
        let appTagged = url.deletingLastPathComponent().appendingPathComponent("app.sqlite3")
        do { try SQLiteConnection(path: appTagged.path).execute("PRAGMA application_id = 42") }
        let tagged = try Self.refusal(appTagged)
        #expect(tagged.error == .notARegistry(path: appTagged.path,
                                              reason: "application_id is 42, a lorad registry has \(AdapterRegistry.applicationID)"))
        #expect(tagged.after == tagged.before)
    }

    @Test func aFileThatIsNotSQLiteIsRefusedUnchanged() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: url)
        let (error, before, after) = try Self.refusal(url)
        guard case .sqlite(let code, _, _) = error else { Issue.record("expected a SQLite error, got \(error)"); return }
        #expect(code & 0xff == 26)  // SQLITE_NOTADB (sqlite3.h)
        #expect(after == before)
    }

    @Test func anOlderSchemaIsRefusedNamingItsVersionAndLeftUnmigrated() throws {
        let url = try RegistryTestSupport.olderFile(version: 3, sql: "SELECT 1")
        let (error, before, after) = try Self.refusal(url)
        #expect(error == .needsMigration(path: url.path, found: 3, current: AdapterRegistry.schemaVersion))
        #expect(error.description.contains("schema version 3") && error.description.contains("`lorad serve`"))
        #expect(after == before)
        #expect(try SQLiteConnection(path: url.path, readOnly: true).userVersion == 3)
    }

    @Test func aNewerSchemaIsRefusedAsUnsupported() throws {
        let url = try RegistryTestSupport.olderFile(version: Int(AdapterRegistry.schemaVersion), sql: "PRAGMA user_version = 99")
        let (error, _, _) = try Self.refusal(url)
        #expect(error == .unsupportedSchemaVersion(path: url.path, found: 99, supported: AdapterRegistry.schemaVersion))
    }

    @Test func aMissingFileIsNotCreated() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("absent.sqlite3")
        #expect(throws: RegistryError.self) { try AdapterRegistry(url: url, options: Self.readOnly) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func aRegistryInUseListsWhatTheWriterCommittedAndRefusesWrites() throws {
        let (writer, url) = try RegistryTestSupport.freshRegistry("read-only")
        defer { writer.close() }
        let fixture = try RegistryTestSupport.fixture("python-qv-r8")
        try writer.insert(fixture.newAdapter(named: "first"), weights: .data(fixture.weights))
        let reader = try AdapterRegistry(url: url, options: Self.readOnly)
        defer { reader.close() }
        #expect(try reader.list().map(\.name) == ["first"])
        // The writer keeps going; the read-only side sees each commit.
        try writer.insert(fixture.newAdapter(named: "second"), weights: .data(fixture.weights))
        #expect(try reader.list().map(\.name) == ["first", "second"])
        #expect(try reader.readWeights(named: "second") == fixture.weights)
        #expect(throws: RegistryError.readOnly(path: url.path)) { try reader.delete(named: "first") }
        #expect(try writer.list().count == 2)
    }

    @Test func aFIFOIsRefusedWithoutBlockingEitherWay() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("fifo.sqlite3")
        try SpecialFile.fifo(at: url)
        for options in [Self.readOnly, AdapterRegistry.Options()] {
            let outcome = Deadline.refusal(releasing: url) { _ = try AdapterRegistry(url: url, options: options) }
            #expect(outcome == "\(url.path) is not a lorad adapter registry: it is a FIFO (named pipe), not a regular file",
                    "readOnly: \(options.readOnly)")
        }
    }
}
