import Foundation
import Testing
import TestSupport

/// Another process holding the registry's write lock past the busy timeout
/// (here: this test, through a second connection whose insert waits for
/// its weights) makes an upload and a delete answer 503 with Retry-After —
/// a transient condition, nothing changed — and both pass once it is gone.
@Suite struct RegistryBusyEndToEndTests {
    @Test func uploadAndDeleteOnALockedRegistryAre503WithRetryAfter() throws {
        let daemon = try HardeningEndToEndTests.daemon()
        defer { daemon.cleanUp() }
        let fixture = try HardeningEndToEndTests.fixture("python-qv-r8")
        let client = KeepAliveClient(port: daemon.port)
        #expect(try HardeningEndToEndTests.upload(client, name: "kept", config: fixture.config, weights: fixture.weights).status == 201)

        let lock = try RegistryWriteLock(path: daemon.registry.path)
        let upload = try HardeningEndToEndTests.upload(client, name: "new", config: fixture.config, weights: fixture.weights)
        let delete = try client.request("DELETE", "/adapters/kept", headers: [HardeningEndToEndTests.admin])
        lock.release()

        for (label, r) in [("upload", upload), ("delete", delete)] {
            #expect(r.status == 503, "\(label): \(r.status) \(r.text)")
            #expect(r.header("Retry-After") == "5", "\(label)")
            #expect(r.text.contains("registry_busy") && r.text.contains("locked") && !r.text.contains("SQLite error"), "\(label): \(r.text)")
        }
        #expect(HardeningEndToEndTests.isAlive(daemon))
        let names = (try Curl.get(daemon.baseURL + "/adapters").json()["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(names == ["kept", "lock-holder"])
        #expect(try HardeningEndToEndTests.upload(client, name: "new", config: fixture.config, weights: fixture.weights).status == 201)
        #expect(try client.request("DELETE", "/adapters/kept", headers: [HardeningEndToEndTests.admin]).status == 200)
    }
}
