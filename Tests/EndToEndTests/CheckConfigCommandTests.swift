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

    @Test func whatStopsServeBeforeTheWeightsStopsCheckConfigToo() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-conf-model")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A chat template that does not parse, then one that is not there.
        let broken = dir.appendingPathComponent("broken.jinja")
        try Data("{% for %}".utf8).write(to: broken)
        for template in [broken.path, dir.appendingPathComponent("missing.jinja").path] {
            let conf = dir.appendingPathComponent("t.conf")
            try "model = \(Fixtures.tinyLlama.path)\nchat_template = \(template)\n".write(to: conf, atomically: true, encoding: .utf8)
            let r = try LoradBinary.run(["check-config", "--config", conf.path])
            #expect(r.status != 0, "\(template): \(r.stderr)")
            #expect(r.stderr.contains(URL(fileURLWithPath: template).lastPathComponent), "\(r.stderr)")
            let serve = try LoradBinary.run(["serve", "--config", conf.path, "--listen", "127.0.0.1:0",
                                             "--registry", dir.appendingPathComponent("r.sqlite").path])
            #expect(serve.status != 0, "serve and check-config agree")
        }
        // A model folder whose config.json does not describe a model.
        let model = dir.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.tinyLlama, to: model)
        let configURL = model.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["hidden_size"] = "x"
        try FileManager.default.removeItem(at: configURL)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let conf = dir.appendingPathComponent("m.conf")
        try "model = \(model.path)\n".write(to: conf, atomically: true, encoding: .utf8)
        let r = try LoradBinary.run(["check-config", "--config", conf.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("hidden_size"), "\(r.stderr)")
        // The shipped model folder passes every one of these checks.
        let good = dir.appendingPathComponent("good.conf")
        try "model = \(Fixtures.tinyLlama.path)\n".write(to: good, atomically: true, encoding: .utf8)
        let ok = try LoradBinary.run(["check-config", "--config", good.path])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
