import Foundation
import Testing
import TestSupport

/// A registry belongs to one daemon, and a daemon writes only to the file
/// its path names: a second daemon on the file is refused at start, and
/// writes after the file was deleted are refused instead of acknowledged
/// into a file no start will open again.
@Suite struct RegistryOwnershipEndToEndTests {
    static func upload(_ daemon: LoradProcess, _ fixture: String, as name: String) throws -> Curl.Response {
        let folder = Fixtures.adapter(fixture)
        return try Curl.upload(daemon.baseURL, name: name, config: folder.appendingPathComponent("adapter_config.json"),
                               weights: folder.appendingPathComponent("adapter_model.safetensors"))
    }

    @Test func aSecondDaemonOnTheSameRegistryIsRefusedNamingTheFirst() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-owner")
        let first = try LoradProcess(directory: dir)
        defer { first.cleanUp() }
        do {
            let second = try LoradProcess(directory: dir)
            second.kill9()
            Issue.record("a second daemon started on the same registry")
        } catch let LoradProcessError.exited(status, stderr) {
            #expect(status != 0)
            #expect(stderr.contains("registry.sqlite.lock") && stderr.contains("another lorad serves this registry")
                    && stderr.contains("pid \(first.process.processIdentifier)"), "\(stderr)")
        }
        #expect(try Self.upload(first, "python-qv-r8", as: "python").status == 201, "the first one is untouched")
        #expect(first.stop() == 0)
        // Once it is gone, the next daemon takes the registry over, adapter included.
        let next = try LoradProcess(directory: dir)
        defer { next.kill9() }
        #expect(try ServingEndToEndTests.listing(next).keys.contains("python"))
    }

    @Test func writesAfterTheRegistryFileIsDeletedAreRefused() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        #expect(try Self.upload(daemon, "python-qv-r8", as: "python").status == 201)
        try FileManager.default.removeItem(at: daemon.registry)
        let upload = try Self.upload(daemon, "upper-all-r4", as: "upper")
        #expect(upload.status == 500 && upload.text.contains("deleted, renamed or replaced"), "\(upload.status) \(upload.text)")
        let delete = try Curl.delete(daemon.baseURL + "/adapters/python")
        #expect(delete.status == 500 && delete.text.contains("deleted, renamed or replaced"), "\(delete.status) \(delete.text)")
        // Serving goes on from what is open.
        #expect(try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "model": "python"]).status == 200)
    }
}
