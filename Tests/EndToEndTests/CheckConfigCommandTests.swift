import Foundation
import Testing
import TestSupport

/// `lorad check-config` as an operator runs it before a restart.
@Suite struct CheckConfigCommandTests {
    @Test func shippedConfigurationIsValid() throws {
        let r = try LoradBinary.run(["check-config", "--config", Fixtures.repoRoot.appendingPathComponent("etc/lorad.conf").path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("max_batch = "))
    }

    @Test func unknownKeyAndMissingModelAreReportedWithFileAndLine() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-conf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.conf")
        try "listen = 127.0.0.1:9\nmax_batchh = 4\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try LoradBinary.run(["check-config", "--config", bad.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(bad.path):2"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("max_batchh"))

        let noModel = dir.appendingPathComponent("nomodel.conf")
        try "model = \(dir.path)/nowhere\n".write(to: noModel, atomically: true, encoding: .utf8)
        let m = try LoradBinary.run(["check-config", "--config", noModel.path])
        #expect(m.status != 0)
        #expect(m.stderr.contains("nowhere"))

        let missing = try LoradBinary.run(["check-config", "--config", dir.appendingPathComponent("absent.conf").path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("absent.conf"))
    }
}
