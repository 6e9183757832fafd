import Foundation
import Testing
import TestSupport
@testable import Registry

/// A registry file deleted, renamed or replaced while open takes no more
/// writes: each would be committed to a file nobody opens again, its 201
/// or 200 a lie at the next start. Reads go on from what is open.
@Suite struct MovedRegistryTests {
    @Test(arguments: ["delete", "rename", "replace"])
    func aRegistryFileMovedAwayTakesNoMoreWrites(_ change: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-registry-moved")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("registry.sqlite")
        let registry = try AdapterRegistry(url: url)
        defer { registry.close() }
        _ = try registry.insert(NewAdapter(name: "before", configJSON: "{}"), weights: Data(repeating: 1, count: 8))
        switch change {
        case "delete": try FileManager.default.removeItem(at: url)
        case "rename": try FileManager.default.moveItem(at: url, to: dir.appendingPathComponent("moved.sqlite"))
        default:
            let copy = dir.appendingPathComponent("copy.sqlite")
            try FileManager.default.copyItem(at: url, to: copy)
            #expect(rename(copy.path, url.path) == 0)
        }
        for attempt in ["insert", "delete"] {
            let error = #expect(throws: (any Error).self, "\(attempt)") {
                if attempt == "insert" {
                    _ = try registry.insert(NewAdapter(name: "after", configJSON: "{}"), weights: Data(repeating: 2, count: 8))
                } else {
                    _ = try registry.delete(named: "before")
                }
            }
            #expect(String(describing: error).contains("deleted, renamed or replaced"), "\(String(describing: error))")
        }
        #expect(try registry.list().map(\.name) == ["before"])
    }

    /// Rows committed before the move may still be only in the WAL, which is
    /// named after the path: left there, the next start applied them to the
    /// file at the path then (a replacement came out malformed or overwritten,
    /// a rename away lost acknowledged rows). They go into the moved file,
    /// and the next open of the path sees that file alone.
    @Test(arguments: ["rename", "replace"])
    func whatTheMovedFileHeldGoesWithItAndThePathOpensAlone(_ change: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-registry-moved-wal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("registry.sqlite")
        let moved = dir.appendingPathComponent("moved.sqlite")
        // The replacement: another registry, closed (checkpointed), with rows of its own.
        let other = dir.appendingPathComponent("other.sqlite")
        do {
            let registry = try AdapterRegistry(url: other)
            for i in 0..<3 { _ = try registry.insert(NewAdapter(name: "other\(i)", configJSON: "{}"), weights: Data(repeating: 7, count: 4096)) }
            registry.close()
        }
        let registry = try AdapterRegistry(url: url)
        for i in 0..<5 { _ = try registry.insert(NewAdapter(name: "live\(i)", configJSON: "{}"), weights: Data(repeating: 1, count: 4096)) }
        try FileManager.default.moveItem(at: url, to: moved)
        if change == "replace" { try FileManager.default.moveItem(at: other, to: url) }
        #expect(throws: (any Error).self) {
            _ = try registry.insert(NewAdapter(name: "after", configJSON: "{}"), weights: Data(repeating: 2, count: 8))
        }
        registry.close()

        let wal = (try? FileManager.default.attributesOfItem(atPath: url.path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "no rows of the moved file wait under the path: \(wal) bytes")
        let movedAgain = try AdapterRegistry(url: moved)
        #expect(try movedAgain.list().map(\.name) == (0..<5).map { "live\($0)" }, "acknowledged rows went with the file")
        movedAgain.close()
        let atPath = try AdapterRegistry(url: url)
        defer { atPath.close() }
        #expect(try atPath.integrityCheck() == "ok")
        #expect(try atPath.list().map(\.name) == (change == "replace" ? (0..<3).map { "other\($0)" } : []))
    }
}
