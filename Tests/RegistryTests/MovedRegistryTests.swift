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
}
