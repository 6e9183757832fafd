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
    # lm-evaluation-harness's loglikelihood request: score the prompt, generate nothing.
    scored = client.completions.create(model=model, prompt=prompt, max_tokens=0, temperature=0, echo=True, logprobs=1)
    scored_logprobs = scored.choices[0].logprobs.token_logprobs
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
                      "stream_usage": stream_usage, "usage_choices": usage_choices,
                      "scored_text": scored.choices[0].text, "scored_first": scored_logprobs[0],
                      "scored_count": len(scored_logprobs), "scored_prompt_tokens": scored.usage.prompt_tokens,
                      "scored_finite": all(isinstance(v, float) and v <= 0 for v in scored_logprobs[1:])}))
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
            #expect(json["scored_text"] as? String == prompt.text, "echo gives the prompt back as sent")
            #expect(json["scored_first"] is NSNull && json["scored_finite"] as? Bool == true)
            #expect(json["scored_count"] as? Int == prompt.input_ids.count && json["scored_prompt_tokens"] as? Int == prompt.input_ids.count)
            #expect(json["served"] as? String == adapter)
            #expect(json["retrieved"] as? String == adapter)
            #expect(json["stream_usage"] as? Int == 24, "include_usage: the usage chunk")
            #expect(json["usage_choices"] as? Int == 0, "include_usage: a chunk of its own")
        }
    }
}
