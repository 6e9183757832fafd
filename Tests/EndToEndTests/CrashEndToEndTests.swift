import Foundation
import Testing
import TestSupport

/// `kill -9` of the daemon in the middle of an upload or a delete: after a
/// restart the registry passes `PRAGMA integrity_check`, the half-uploaded
/// adapter is absent and every acknowledged adapter is present and intact.
@Suite struct CrashEndToEndTests {
    /// A valid all-linear rank-256 adapter for the tiny model (≈ 9.5 MB).
    static func bigAdapter(in dir: URL) throws -> (config: URL, weights: URL) {
        let modules = AdapterFiles.shapes.map(\.module)
        let targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        let config = try AdapterFiles.write(AdapterFiles.config(rank: 256, alpha: 16, targets: targets), "big.json", in: dir)
        let weights = try AdapterFiles.write(AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 256, modules: modules), value: 0.0001),
                                             "big.safetensors", in: dir)
        return (config, weights)
    }

    static func acknowledged(_ daemon: LoradProcess) throws -> [String: String] {
        for name in ["python-qv-r8", "upper-all-r4"] {
            let r = try LiveChangeEndToEndTests.upload(daemon, name, as: name)
            try #require(r.status == 201)
        }
        return try ServingEndToEndTests.listing(daemon)
    }

    /// After a crash: restart, check through the API, stop, check the file.
    static func checkAfterRestart(_ dir: URL, acknowledged: [String: String], absent: [String],
                                  eitherIntactOrAbsent: [String: String] = [:]) throws {
        let again = try LoradProcess(directory: dir)
        let listing = try ServingEndToEndTests.listing(again)
        for (name, sha) in acknowledged { #expect(listing[name] == sha, "\(name) must survive intact") }
        for name in absent { #expect(listing[name] == nil, "\(name) must be absent") }
        for (name, sha) in eitherIntactOrAbsent {
            #expect(listing[name] == nil || listing[name] == sha, "\(name) must be absent or intact")
        }
        let refs = try References.load()
        let prompt = refs.prompts[0]
        let expected = try #require(refs.result("python-qv-r8", prompt.name)).generated_text
        #expect(try ServingEndToEndTests.complete(again, prompt: prompt.text, fields: ["model": "python-qv-r8"]).text == expected)
        #expect(again.stop() == 0)
        let report = try RegistryProbe.check(again.registry)
        #expect(report.integrity == "ok")
        #expect(report.corrupt.isEmpty, "rows whose bytes no longer match their sha256: \(report.corrupt)")
        #expect(report.hashes == listing)
    }

    @Test func killDuringAnUploadLosesOnlyThatUpload() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        let before = try Self.acknowledged(daemon)
        let big = try Self.bigAdapter(in: daemon.directory)

        // 1. Mid-body: the upload is throttled, so the kill surely lands before it completes.
        let slow = try Curl.start(["--limit-rate", "2M", "-F", "name=half", "-F", "config=@\(big.config.path)",
                                   "-F", "weights=@\(big.weights.path)", daemon.baseURL + "/adapters"])
        Thread.sleep(forTimeInterval: 1.0)
        #expect(slow.isRunning, "the throttled upload must still be running")
        daemon.kill9()
        #expect(slow.wait().status != 201)
        try Self.checkAfterRestart(daemon.directory, acknowledged: before, absent: ["half"])

        // 2. Mid-write: full speed, killed once the registry's WAL starts growing
        //    (the blob is being written inside the open transaction).
        let again = try LoradProcess(directory: daemon.directory)
        defer { again.kill9() }
        let wal = URL(fileURLWithPath: again.registry.path + "-wal")
        let walBefore = (try? FileManager.default.attributesOfItem(atPath: wal.path)[.size] as? Int) ?? 0
        let fast = try Curl.start(["-F", "name=torn", "-F", "config=@\(big.config.path)",
                                   "-F", "weights=@\(big.weights.path)", again.baseURL + "/adapters"])
        let deadline = Date().addingTimeInterval(60)
        while fast.isRunning && Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: wal.path)[.size] as? Int) ?? 0
            if size > walBefore + (1 << 20) { break }
            Thread.sleep(forTimeInterval: 0.001)
        }
        again.kill9()
        let response = fast.wait()
        let sha = try ExternalTool.run("/usr/bin/env", ["sha256sum", big.weights.path]).stdout.split(separator: " ").first.map(String.init) ?? ""
        if response.status == 201 {
            // The insert committed before the kill: acknowledged, so it must be there.
            try Self.checkAfterRestart(daemon.directory, acknowledged: before.merging(["torn": sha]) { $1 }, absent: [])
        } else {
            try Self.checkAfterRestart(daemon.directory, acknowledged: before, absent: [], eitherIntactOrAbsent: ["torn": sha])
        }
    }

    /// Where a DELETE is frozen (the daemon's `LORAD_TEST_PAUSE_AT`) before
    /// the kill, and whether the adapter must survive it.
    struct DeleteKill: Sendable, CustomStringConvertible {
        let pausePoint: String
        let survives: Bool
        var description: String { pausePoint }
    }

    /// The kill lands inside the DELETE's transaction (the row deleted, not
    /// committed): the adapter is whole after the restart. Or it lands after
    /// the commit but before the answer: the adapter is gone. Either way the
    /// file passes integrity_check and every other adapter is intact.
    @Test(arguments: [DeleteKill(pausePoint: "registry-delete-before-commit", survives: true),
                      DeleteKill(pausePoint: "registry-delete-after-commit", survives: false)])
    func killDuringADeleteLeavesTheAdapterWholeOrGone(_ kill: DeleteKill) throws {
        let daemon = try LoradProcess(environment: ["LORAD_TEST_PAUSE_AT": kill.pausePoint])
        defer { daemon.cleanUp() }
        let before = try Self.acknowledged(daemon)
        let big = try Self.bigAdapter(in: daemon.directory)
        let stored = try Curl.upload(daemon.baseURL, name: "victim", config: big.config, weights: big.weights)
        try #require(stored.status == 201, "\(stored.text)")
        let sha = try #require(try stored.json()["sha256"] as? String)

        let deleting = try Curl.start(["-X", "DELETE", daemon.baseURL + "/adapters/victim"])
        // A bound for a pause that never comes, not a speed limit.
        let deadline = Date().addingTimeInterval(60)
        while !daemon.stderr.contains("lorad: paused at \(kill.pausePoint)") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        try #require(daemon.stderr.contains("lorad: paused at \(kill.pausePoint)"), "the DELETE never reached the pause point")
        daemon.kill9()
        #expect(deleting.wait().status != 200, "killed before it could answer")
        if kill.survives {
            try Self.checkAfterRestart(daemon.directory, acknowledged: before.merging(["victim": sha]) { $1 }, absent: [])
        } else {
            try Self.checkAfterRestart(daemon.directory, acknowledged: before, absent: ["victim"])
        }
    }

    /// An adapter resolved from `adapter_dirs` whose registry row is being
    /// written when the daemon is killed (frozen inside the insert's open
    /// transaction): the first completion was answered anyway, with the
    /// transformers + PEFT text; after the restart the registry has no trace
    /// of the row, passes integrity_check, and the next request imports the
    /// folder again and answers the same text, then stores the row.
    @Test func killDuringAFolderImportsRowWriteReimportsItAfterTheRestart() throws {
        let pause = "registry-insert-before-commit"
        let home = try Fixtures.temporaryDirectory("lorad-e2e-folder-crash")
        defer { try? FileManager.default.removeItem(at: home) }
        let shared = home.appendingPathComponent("shared")
        try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "from-folder", in: shared)
        let expected = try ReplicaFleetEndToEndTests.reference("python-qv-r8")
        let daemon = try LoradProcess(directory: home, arguments: ["--adapter-dirs", shared.path],
                                      environment: ["LORAD_TEST_PAUSE_AT": pause], logLevel: "info")
        defer { daemon.cleanUp() }
        #expect(ReplicaFleetEndToEndTests.text(try ReplicaFleetEndToEndTests.completion(daemon, model: "from-folder").wait()) == expected)
        #expect(ReplicaFleetEndToEndTests.eventually { daemon.stderr.contains("lorad: paused at \(pause)") },
                "the row write never reached the pause point")
        #expect(try Curl.get(daemon.baseURL + "/adapters/from-folder").status == 404, "not committed")
        daemon.kill9()

        let again = try LoradProcess(directory: home, arguments: ["--adapter-dirs", shared.path], logLevel: "info")
        defer { again.kill9() }
        #expect(try Curl.get(again.baseURL + "/adapters/from-folder").status == 404, "the torn row is absent")
        #expect(ReplicaFleetEndToEndTests.text(try ReplicaFleetEndToEndTests.completion(again, model: "from-folder").wait()) == expected)
        #expect(ReplicaFleetEndToEndTests.occurrences(of: "adapter imported from folder", in: again.stderr) == 1)
        #expect(try ReplicaFleetEndToEndTests.eventually { try Curl.get(again.baseURL + "/adapters/from-folder").status == 200 })
        #expect(again.stop() == 0)
        let report = try RegistryProbe.check(again.registry)
        #expect(report.integrity == "ok")
        #expect(report.corrupt.isEmpty)
        #expect(report.hashes.keys.sorted() == ["from-folder"])
    }
}
