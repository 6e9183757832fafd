import HTTP1
import OrderedJSON

/// `POST /tokenize`, `POST /detokenize` (vLLM's shapes) and
/// `POST /apply-template` (llama-server's name).
///
/// `/tokenize` takes `{"prompt": …}` (special tokens added by default, as
/// completions does) or a conversation `{"messages": …}` rendered like a
/// chat request (special tokens not added again by default, as
/// `apply_chat_template` does; `add_generation_prompt` defaults to true as
/// vLLM's does) and answers `{"tokens", "count", "max_model_len"}`.
/// The adapter is named as for completions; one with its own chat template
/// renders with it.
struct TokenizeHandler {
    let service: LoadedModel
    let metrics: MetricsBridge

    func tokenize(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let body = try await request.jsonBody()
        let tokens: [Int]
        if body.optional("messages") != nil {
            let text = try await render(body, request: request, addGenerationPromptByDefault: true)
            tokens = service.tokenizer.encode(text, addSpecialTokens: try body.bool("add_special_tokens") ?? false)
        } else {
            let prompt = try body.required("prompt").string()
            tokens = service.tokenizer.encode(prompt, addSpecialTokens: try body.bool("add_special_tokens") ?? true)
        }
        try await response.sendJSON(.ok, .object([
            ("tokens", .array(tokens.map(JSONValue.integer))), ("count", .integer(tokens.count)),
            ("max_model_len", .integer(service.engine.contextLength)),
        ]))
    }

    /// Ids outside the vocabulary are refused (400 naming the first).
    func detokenize(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let body = try await request.jsonBody()
        let node = try body.required("tokens")
        let vocab = service.tokenizer.vocabSize
        let ids = try node.array().map { try $0.int(in: 0...(vocab - 1)) }
        try await response.sendJSON(.ok, .object([("prompt", .string(service.tokenizer.decode(ids)))]))
    }

    func applyTemplate(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let body = try await request.jsonBody()
        let text = try await render(body, request: request, addGenerationPromptByDefault: true)
        try await response.sendJSON(.ok, .object([("prompt", .string(text))]))
    }

    private func render(_ body: JSONNode, request: HTTPRequest, addGenerationPromptByDefault: Bool) async throws -> String {
        let fields = try GenerationFields(json: body)
        let choice = try InferenceContext(service: service, metrics: metrics).chooseAdapter(query: request.query("adapter"), fields: fields)
        let templates = try await ChatTemplates(service: service).templates(for: choice)
        let prompt = try ChatPrompt(json: body, addGenerationPromptByDefault: addGenerationPromptByDefault)
        return try prompt.render(templates, specialTokens: service.chat.model.specialTokens)
    }
}
