import Foundation
import Testing
import TestSupport

/// `lorad serve` refusing to start: the refusal and exit status 1, every
/// time — never a crash after the message.
@Suite struct StartFailureEndToEndTests {
    @Test func aChatTemplateThatCannotLoadStopsTheStartCleanlyEveryTime() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-start-failure")
        let broken = dir.appendingPathComponent("broken.jinja")
        try Data("{% for %}".utf8).write(to: broken)
        // The engine's thread used to start before the template was read and
        // to hold the engine unowned: about a third of these starts then died
        // of a use-after-free (exit 134) just after printing the refusal.
        for (i, template) in Array(repeating: [broken.path, dir.appendingPathComponent("missing.jinja").path], count: 6)
            .joined().enumerated() {
            let run = try LoradBinary.run(["serve", "--model", Fixtures.tinyLlama.path, "--listen", "127.0.0.1:0",
                                           "--registry", dir.appendingPathComponent("r\(i).sqlite").path,
                                           "--chat-template", template])
            #expect(run.status == 1, "run \(i) (\(template)): exit \(run.status)\n\(run.stderr.suffix(600))")
            #expect(run.stderr.contains(URL(fileURLWithPath: template).lastPathComponent), "\(run.stderr.suffix(600))")
            #expect(!run.stderr.contains("Fatal error"), "\(run.stderr.suffix(600))")
        }
    }
}
