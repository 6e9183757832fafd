import Foundation
import Testing
import TestSupport

/// `lorad adapters list` is a read-only listing (README "Command line"):
/// it reads a daemon's registry, even while the daemon runs, and refuses
/// anything else without writing a byte to it.
@Suite struct AdaptersListEndToEndTests {
    static func list(_ registry: URL, json: Bool = true) throws -> ExternalTool.Result {
        try LoradBinary.run(["adapters", "list", "--registry", registry.path] + (json ? ["--json"] : []), timeout: 60)
    }

    /// The adapter names of a `--json` listing.
    static func names(_ r: ExternalTool.Result) -> [String] {
        r.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["name"] as? String
        }
    }

    static func upload(_ daemon: LoradProcess, _ name: String) throws {
        let r = try Curl.upload(daemon.baseURL, name: name, config: AdapterFiles.fixtureConfig, weights: AdapterFiles.fixtureWeights)
        #expect(r.status == 201, "\(r.text)")
    }

    /// `file` with the 4-byte big-endian header field at `offset` set to
    /// `value` (60: user_version, 68: application_id; sqlite.org/fileformat.html).
    static func patched(_ file: URL, offset: Int, value: UInt32, as name: String) throws -> URL {
        var bytes = try Data(contentsOf: file)
        withUnsafeBytes(of: value.bigEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
        let url = file.deletingLastPathComponent().appendingPathComponent(name)
        try bytes.write(to: url)
        return url
    }

    @Test func theRegistryOfARunningDaemonIsListedAndTheDaemonKeepsWriting() async throws {
        try await OffCooperativePool.run {
            let daemon = try LoradProcess()
            defer { daemon.cleanUp() }
            try Self.upload(daemon, "first")
            try Self.upload(daemon, "second")
            let listed = try Self.list(daemon.registry)
            #expect(listed.status == 0 && !listed.timedOut, "\(listed.stderr)")
            #expect(Self.names(listed) == ["first", "second"])
            // The listing held no lock: the daemon stores the next one at once.
            try Self.upload(daemon, "third")
            #expect(Self.names(try Self.list(daemon.registry)) == ["first", "second", "third"])
            let table = try Self.list(daemon.registry, json: false)
            #expect(table.status == 0 && table.stdout.hasPrefix("NAME") && table.stdout.contains("third"), "\(table.stderr)")
            // And after the daemon stopped, from the file alone.
            #expect(daemon.stop() == 0)
            #expect(Self.names(try Self.list(daemon.registry)) == ["first", "second", "third"])
        }
    }

    @Test func anEmptyFileAForeignDatabaseAndAnOlderSchemaAreRefusedAndLeftByteForByte() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-list")
            defer { try? FileManager.default.removeItem(at: dir) }
            // A registry as the daemon leaves it, to derive the others from.
            let daemon = try LoradProcess(directory: dir)
            try Self.upload(daemon, "kept")
            #expect(daemon.stop() == 0)
            let empty = dir.appendingPathComponent("empty.sqlite")
            #expect(FileManager.default.createFile(atPath: empty.path, contents: Data()))
            let foreign = try Self.patched(daemon.registry, offset: 68, value: 42, as: "foreign.sqlite")
            let older = try Self.patched(daemon.registry, offset: 60, value: 3, as: "older.sqlite")
            let text = dir.appendingPathComponent("notes.txt")
            try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: text)

            for (file, reason) in [(empty, "is not a lorad adapter registry: it is empty"),
                                   (foreign, "is not a lorad adapter registry: application_id is 42"),
                                   (older, "has schema version 3, older than this lorad's"),
                                   (text, "file is not a database")] {
                let before = try Data(contentsOf: file)
                let r = try Self.list(file)
                #expect(r.status == 1 && !r.timedOut, "\(file.lastPathComponent): exit \(r.status)")
                #expect(r.stderr.contains(file.path) && r.stderr.contains(reason), "\(r.stderr)")
                #expect(r.stdout.isEmpty)
                #expect(try Data(contentsOf: file) == before, "\(file.lastPathComponent) was changed")
            }
            #expect(try Self.list(older).stderr.contains("`lorad serve`"))
            // The registry they came from still lists.
            #expect(Self.names(try Self.list(daemon.registry)) == ["kept"])
        }
    }
}
