import Foundation
import Testing
import TestSupport
@testable import Registry
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` in the middle of an upload or a delete must leave a consistent
/// registry: integrity_check ok, the unfinished change absent, everything
/// acknowledged before it present and intact.
@Suite struct RegistryCrashTests {
    /// Two committed fixture adapters, the registry's file, and their records.
    private func seeded() throws -> (AdapterRegistry, URL, [RegistryTestSupport.FixtureAdapter]) {
        let (registry, url) = try RegistryTestSupport.freshRegistry("crash")
        let fixtures = [try RegistryTestSupport.fixture("python-qv-r8"), try RegistryTestSupport.fixture("upper-all-r4")]
        for fixture in fixtures { try registry.insert(fixture.newAdapter(), weights: fixture.weights) }
        return (registry, url, fixtures)
    }

    /// After "restart": a new registry on the file sees exactly the acknowledged adapters.
    private func expectRecovered(_ url: URL, fixtures: [RegistryTestSupport.FixtureAdapter],
                                 absent: String?) throws {
        let restarted = try AdapterRegistry(url: url)
        defer { restarted.close() }
        #expect(try restarted.integrityCheck() == "ok")
        #expect(try restarted.list().map(\.name) == fixtures.map(\.folder).sorted())
        for fixture in fixtures {
            #expect(try restarted.readWeights(named: fixture.folder) == fixture.weights)
            #expect(try restarted.verify(named: fixture.folder))
        }
        if let absent { #expect(try restarted.record(named: absent) == nil) }
        // The restarted registry is writable (no stale lock, counter intact).
        let generations = try restarted.list().map(\.generation)
        let next = try restarted.insert(NewAdapter(name: "after-restart", configJSON: "{}"), weights: Data([1, 2, 3]))
        #expect(next.generation > (generations.max() ?? 0))
    }

    /// Crash image of our own write path: mid-stream, copy the database and
    /// its WAL as they are on disk — what the next start finds after a
    /// `kill -9` at that instant (the page cache survives process death).
    @Test func crashImageTakenMidUploadRecoversWithoutTheUpload() throws {
        let (registry, url, fixtures) = try seeded()
        let image = try Fixtures.temporaryDirectory("lorad-crash-image").appendingPathComponent("adapters.sqlite3")
        defer { Self.remove(url, image) }
        let source = RegistryTestSupport.ByteGenerator(seed: 11).source(byteCount: 12 << 20) { index, _ in
            guard index == 7 else { return }
            for suffix in ["", "-wal"] {
                let from = URL(fileURLWithPath: url.path + suffix)
                if FileManager.default.fileExists(atPath: from.path) {
                    try FileManager.default.copyItem(at: from, to: URL(fileURLWithPath: image.path + suffix))
                }
            }
        }
        try registry.insert(NewAdapter(name: "big", configJSON: "{}"), weights: source)
        try expectRecovered(image, fixtures: fixtures, absent: "big")
    }

    /// …and an image taken right after COMMIT returned holds the new adapter:
    /// acknowledged means on disk.
    @Test func crashImageTakenAfterCommitHoldsTheUpload() throws {
        let (registry, url, _) = try seeded()
        let generator = RegistryTestSupport.ByteGenerator(seed: 12)
        let record = try registry.insert(NewAdapter(name: "big", configJSON: "{}"),
                                         weights: generator.source(byteCount: 3 << 20))
        let image = try Fixtures.temporaryDirectory("lorad-crash-image").appendingPathComponent("adapters.sqlite3")
        defer { Self.remove(url, image) }
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(at: URL(fileURLWithPath: url.path + suffix),
                                             to: URL(fileURLWithPath: image.path + suffix))
        }
        let restarted = try AdapterRegistry(url: image)
        #expect(try restarted.integrityCheck() == "ok")
        #expect(try restarted.record(named: "big") == record)
        #expect(try restarted.verify(named: "big"))
    }

    /// Deletes the temporary directories holding these database files (tens of MB each).
    static func remove(_ files: URL...) {
        for file in files { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
    }

    // A real SIGKILL: a Python child writes through SQLite in WAL mode with
    // the registry's schema and is killed half-way through its transaction.

    static let python = RegistryTestSupport.executable("python3")

    /// Child: opens the registry file, starts the same transaction an insert
    /// (or delete) makes, writes half, prints HALF and waits to be killed.
    /// A tiny page cache forces uncommitted pages out into the WAL first, so
    /// recovery really has to skip frames without a commit record.
    static let childScript = """
        import sqlite3, sys
        path, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON"); con.execute("PRAGMA cache_size=-256")
        con.execute("BEGIN IMMEDIATE")
        if mode == "insert":
            n = int(arg)
            gen = con.execute("UPDATE registry_meta SET value = value + 1 WHERE key = 'last_generation' RETURNING value").fetchone()[0]
            cur = con.execute("INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation) VALUES ('half', '{}', ?, ?, 0, ?)", ("0" * 64, n, gen))
            rid = cur.lastrowid
            con.execute("INSERT INTO adapter_blobs (adapter_id, weights) VALUES (?, zeroblob(?))", (rid, n))
            blob = con.blobopen("adapter_blobs", "weights", rid)
            chunk = bytes(range(256)) * 4096
            for _ in range(n // 2 // len(chunk)):
                blob.write(chunk)
        else:
            con.execute("DELETE FROM adapters WHERE name = ?", (arg,))
        print("HALF", flush=True)
        sys.stdin.read()
        """

    /// Runs the child until it reports HALF, then SIGKILLs it.
    private func runAndKill(_ arguments: [String]) throws {
        let python = try #require(Self.python)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.childScript] + arguments
        let stdout = Pipe(), stdin = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = stderr
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("HALF") {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // EOF: the child died on its own
            seen.append(chunk)
        }
        guard String(decoding: seen, as: UTF8.self).contains("HALF") else {
            process.waitUntilExit()
            let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("child failed before the kill point: \(message)")
            return
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
        try stdin.fileHandleForWriting.close()
    }

    @Test(.enabled(if: RegistryCrashTests.python != nil))
    func sigkillMidUploadLeavesNoHalfAdapter() throws {
        let (registry, url, fixtures) = try seeded()
        registry.close()
        defer { Self.remove(url) }
        let walBefore = (try? FileManager.default.attributesOfItem(atPath: url.path + "-wal")[.size] as? Int) ?? 0
        try runAndKill([url.path, "insert", String(24 << 20)])
        // The child had pushed uncommitted pages into the WAL before it died.
        let walAfter = (try FileManager.default.attributesOfItem(atPath: url.path + "-wal")[.size] as? Int) ?? 0
        #expect(walAfter > walBefore + (4 << 20))
        try expectRecovered(url, fixtures: fixtures, absent: "half")
    }

    @Test(.enabled(if: RegistryCrashTests.python != nil))
    func sigkillMidDeleteKeepsTheAdapter() throws {
        let (registry, url, fixtures) = try seeded()
        registry.close()
        defer { Self.remove(url) }
        try runAndKill([url.path, "delete", fixtures[0].folder])
        try expectRecovered(url, fixtures: fixtures, absent: nil)
    }
}
