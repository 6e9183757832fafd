import Foundation
import Testing
import TestSupport

/// The official `openai` Python client (`pip install openai`) against the
/// daemon: `model=ADAPTER_NAME`, streamed and not, gives the reference text.
@Suite struct OpenAIClientEndToEndTests {
    static let python = ExternalTool.find("python3")
    static let clientInstalled: Bool = {
        guard let python else { return false }
        return (try? ExternalTool.run(python, ["-c", "import openai"]).status) == 0
    }()

    static let script = """
    import json, sys
    import openai
    base, model, prompt = sys.argv[1], sys.argv[2], sys.stdin.read()
    client = openai.OpenAI(base_url=base + "/v1", api_key="not-needed", max_retries=0, timeout=60)
    whole = client.completions.create(model=model, prompt=prompt, max_tokens=24, temperature=0)
    pieces = []
    for chunk in client.completions.create(model=model, prompt=prompt, max_tokens=24, temperature=0, stream=True):
        if chunk.choices:
            pieces.append(chunk.choices[0].text)
    stream_usage, usage_choices = None, None
    for chunk in client.completions.create(model=model, prompt=prompt, max_tokens=24, temperature=0, stream=True,
                                           stream_options={"include_usage": True}):
        if chunk.usage:
            stream_usage, usage_choices = chunk.usage.completion_tokens, len(chunk.choices)
    models = [m.id for m in client.models.list()]
    retrieved = client.models.retrieve(model).id
    try:
        client.completions.create(model="no-such-adapter", prompt=prompt, max_tokens=1)
        missing = None
    except openai.NotFoundError as e:
        missing = e.status_code
    print(json.dumps({"text": whole.choices[0].text, "finish": whole.choices[0].finish_reason,
                      "completion_tokens": whole.usage.completion_tokens, "streamed": "".join(pieces),
                      "models": models, "missing": missing, "served": whole.model, "retrieved": retrieved,
                      "stream_usage": stream_usage, "usage_choices": usage_choices}))
    """

    @Test(.enabled(if: clientInstalled, "needs `pip install openai`"))
    func theOfficialClientGetsTheReferenceText() throws {
        let refs = try References.load()
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        try ServingEndToEndTests.uploadFixtures(daemon)
        let python = try #require(Self.python)
        for (i, adapter) in Fixtures.adapterNames.enumerated() {
            let prompt = refs.prompts[i]
            let expected = try #require(refs.result(adapter, prompt.name)).generated_text
            let run = try ExternalTool.run(python, ["-c", Self.script, daemon.baseURL, adapter], stdin: prompt.text)
            try #require(run.status == 0, "python failed: \(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(json["text"] as? String == expected, "\(adapter) on \(prompt.name)")
            #expect(json["streamed"] as? String == expected, "\(adapter) streamed")
            #expect(json["finish"] as? String == "length")
            #expect(json["completion_tokens"] as? Int == 24)
            #expect(Set(json["models"] as? [String] ?? []) == Set(["tiny-llama"] + Fixtures.adapterNames))
            #expect(json["missing"] as? Int == 404)
            #expect(json["served"] as? String == adapter)
            #expect(json["retrieved"] as? String == adapter)
            #expect(json["stream_usage"] as? Int == 24, "include_usage: the usage chunk")
            #expect(json["usage_choices"] as? Int == 0, "include_usage: a chunk of its own")
        }
    }
}
