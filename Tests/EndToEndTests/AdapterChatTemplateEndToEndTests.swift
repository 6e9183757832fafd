import Foundation
import Testing
import TestSupport

/// An adapter uploaded with its own chat template renders its chat requests
/// with it (the base and other adapters keep the model's), shows it in
/// `GET /adapters/NAME`, and a template that does not parse or render is
/// refused with 422 before anything is stored.
@Suite(.serialized) struct AdapterChatTemplateEndToEndTests {
    /// A made-up chat format; the expected prompt below is written out by hand.
    static let custom = "{% for m in messages %}### {{ m.role | upper }}: {{ m.content | trim }}\n{% endfor %}"
        + "{% if add_generation_prompt %}### ASSISTANT:{% endif %}"

    static func upload(_ daemon: LoradProcess, _ name: String, template: URL?, replace: Bool = false) throws -> Curl.Response {
        let folder = Fixtures.adapter("upper-all-r4")
        return try Curl.upload(daemon.baseURL, name: name, config: folder.appendingPathComponent("adapter_config.json"),
                               weights: folder.appendingPathComponent("adapter_model.safetensors"), replace: replace,
                               extra: template.map { ["-F", "chat_template=@\($0.path)"] } ?? [])
    }

    static func file(_ text: String, in dir: URL, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func anAdapterWithItsOwnTemplateRendersWithIt() throws {
        let daemon = try LoradProcess(arguments: ["--chat-template", ChatEndToEndTests.smol])
        defer { daemon.cleanUp() }
        let templateFile = try Self.file(Self.custom, in: daemon.directory, "custom.jinja")
        let r = try Self.upload(daemon, "shouty", template: templateFile)
        try #require(r.status == 201, "\(r.text)")
        try #require(try Self.upload(daemon, "plain", template: nil).status == 201)

        let shown = try Curl.get(daemon.baseURL + "/adapters/shouty").json()
        #expect(shown["chat_template"] as? String == Self.custom)
        #expect(try Curl.get(daemon.baseURL + "/adapters/plain").json()["chat_template"] is NSNull)

        let messages: [[String: Any]] = [["role": "system", "content": "Be loud. "], ["role": "user", "content": "the licence"]]
        let expected = "### SYSTEM: Be loud.\n### USER: the licence\n### ASSISTANT:"
        let rendered = try ChatEndToEndTests.post(daemon, "/apply-template?adapter=shouty", ["messages": messages])
        #expect(rendered["prompt"] as? String == expected)
        let smolPrompt = try ChatEndToEndTests.post(daemon, "/apply-template", ["messages": messages, "model": "plain"])
        #expect((smolPrompt["prompt"] as? String)?.hasPrefix("<|im_start|>system\nBe loud. <|im_end|>") == true)
        let combined = try ChatEndToEndTests.post(daemon, "/apply-template", ["messages": messages, "model": "shouty:0.5,plain:0.5"])
        #expect(combined["prompt"] as? String == smolPrompt["prompt"] as? String, "a combination renders with the model's template")

        let ids = try #require(try ChatEndToEndTests.post(daemon, "/tokenize", ["prompt": expected, "add_special_tokens": false])["tokens"] as? [Int])
        #expect(try ChatEndToEndTests.post(daemon, "/tokenize", ["messages": messages, "model": "shouty"])["tokens"] as? [Int] == ids)
        let completion = try ServingEndToEndTests.complete(daemon, prompt: "", fields: ["prompt": ids, "adapter": "shouty"])
        let chat = try ChatEndToEndTests.chat(daemon, ["model": "shouty", "messages": messages, "max_tokens": 24, "temperature": 0])
        #expect(try ChatEndToEndTests.contents(chat) == [completion.text])
    }

    @Test func aBadTemplateIsRefusedWith422AndTheRegistryIsUnchanged() throws {
        let daemon = try LoradProcess(arguments: ["--chat-template", ChatEndToEndTests.smol])
        defer { daemon.cleanUp() }
        let good = try Self.file(Self.custom, in: daemon.directory, "good.jinja")
        try #require(try Self.upload(daemon, "kept", template: good).status == 201)
        let before = try Curl.get(daemon.baseURL + "/adapters").text
        let keptBefore = try Curl.get(daemon.baseURL + "/adapters/kept").text

        let broken: [(String, String)] = [
            ("syntax.jinja", "{% if messages %}unclosed"),
            ("raises.jinja", "{{ raise_exception('this template refuses everything') }}"),
            ("undefined.jinja", "{{ messages[0].content + no_such_variable }}"),
            ("runaway.jinja", "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"),
        ]
        for (name, text) in broken {
            let file = try Self.file(text, in: daemon.directory, name)
            let fresh = try Self.upload(daemon, "newcomer", template: file)
            #expect(fresh.status == 422, "\(name): \(fresh.status) \(fresh.text)")
            #expect(fresh.errorMessage?.contains("chat_template") == true, "\(name)")
            let replace = try Self.upload(daemon, "kept", template: file, replace: true)
            #expect(replace.status == 422, "\(name) replace: \(replace.status)")
        }
        #expect(try Curl.get(daemon.baseURL + "/adapters/newcomer").status == 404)
        #expect(try Curl.get(daemon.baseURL + "/adapters").text == before)
        #expect(try Curl.get(daemon.baseURL + "/adapters/kept").text == keptBefore)
        let rendered = try ChatEndToEndTests.post(daemon, "/apply-template", ["messages": [["role": "user", "content": "x"]], "model": "kept"])
        #expect(rendered["prompt"] as? String == "### USER: x\n### ASSISTANT:")
    }

    /// Flat chains of 50,000+ links used to overflow the stack while the
    /// upload was checked, killing the daemon (exit 139, every connection
    /// dropped). Each is under the 1 MiB a `chat_template` part may have.
    static let tooDeep: [(String, String)] = [
        ("attributes.jinja", "{{ x" + String(repeating: ".a", count: 50_000) + " }}"),
        ("sum.jinja", "{{ 1" + String(repeating: " + 1", count: 100_000) + " }}"),
        ("filters.jinja", "{{ 'a'" + String(repeating: "|upper", count: 150_000) + " }}"),
        ("calls.jinja", "{{ x" + String(repeating: "()", count: 400_000) + " }}"),
    ]

    @Test func aTemplateTooDeepToParseIsRefusedWith422AndTheDaemonKeepsServing() throws {
        let daemon = try LoradProcess(arguments: ["--chat-template", ChatEndToEndTests.smol])
        defer { daemon.cleanUp() }
        for (name, text) in Self.tooDeep {
            let file = try Self.file(text, in: daemon.directory, name)
            let r = try Self.upload(daemon, "deep", template: file)
            #expect(r.status == 422, "\(name): \(r.status) \(r.text.prefix(300))")
            let message = r.errorMessage ?? ""
            #expect(message.contains("LimitExceeded: expression nests deeper than 1000 levels"), "\(name): \(message)")
            #expect(message.contains("line 1, column "), "\(name): \(message)")
        }
        #expect(try Curl.get(daemon.baseURL + "/health").status == 200)
        #expect(try Curl.get(daemon.baseURL + "/adapters/deep").status == 404)
        let rendered = try ChatEndToEndTests.post(daemon, "/apply-template", ["messages": [["role": "user", "content": "x"]]])
        #expect((rendered["prompt"] as? String)?.hasPrefix("<|im_start|>") == true)
        let good = try Self.file(Self.custom, in: daemon.directory, "good.jinja")
        #expect(try Self.upload(daemon, "deep", template: good).status == 201)
    }

    @Test func aTemplateBuildingADeepValueIsRefusedWith422AndTheDaemonKeepsServing() throws {
        let daemon = try LoradProcess(arguments: ["--chat-template", ChatEndToEndTests.smol])
        defer { daemon.cleanUp() }
        // Each used to build a list 900,000 (or 60,000) levels deep while the upload was checked, and
        // freeing it overflowed the stack.
        let growing = [
            "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% for j in range(9) %}{% set ns.x = [ns.x] %}"
                + "{% endfor %}{% endfor %}{{ messages[0].content }}",
            "{% set x = [] %}" + String(repeating: "{% set x = [x] %}", count: 60_000) + "{{ messages[0].content }}",
        ]
        for (n, text) in growing.enumerated() {
            let file = try Self.file(text, in: daemon.directory, "growing\(n).jinja")
            let r = try Self.upload(daemon, "deep", template: file)
            #expect(r.status == 422, "\(n): \(r.status) \(r.text.prefix(300))")
            #expect(r.errorMessage?.contains("LimitExceeded: value nested deeper than 1000 levels") == true, "\(n): \(r.text.prefix(300))")
        }
        #expect(try Curl.get(daemon.baseURL + "/health").status == 200)
        #expect(try Curl.get(daemon.baseURL + "/adapters/deep").status == 404)
    }

    @Test func serveRefusesATooDeepTemplateAtStartUpNamingTheLimit() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-deep-template")
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = try Self.file(Self.tooDeep[0].1, in: dir, "deep.jinja")
        let r = try LoradBinary.run(["serve", "--listen", "127.0.0.1:0", "--registry", dir.appendingPathComponent("r.sqlite").path,
                                     "--model", Fixtures.tinyLlama.path, "--threads", "1", "--chat-template", template.path])
        #expect(r.stderr.contains("LimitExceeded: expression nests deeper than 1000 levels"), "\(r.status): \(r.stderr.suffix(500))")
        // A refusal (exit 1), not the stack overflow's SIGSEGV.
        #expect(r.status == 1, "\(r.status): \(r.stderr.suffix(500))")
    }
}
