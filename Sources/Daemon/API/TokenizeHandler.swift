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
/// The adapter is named as for completions (an unknown one is 404, as
/// there); one with its own chat template renders with it.
struct TokenizeHandler {
    let service: LoadedModel
    let metrics: MetricsBridge

    func tokenize(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let body = try await request.jsonBody()
        let choice = try await resolvedChoice(body, request: request)
        let tokenizer = service.tokenizer
        let tokens: [Int]
        if body.optional("messages") != nil {
            let addSpecial = try body.bool("add_special_tokens") ?? false
            let render = try await renderer(body, choice: choice)
            tokens = try await BlockingWork.compute { tokenizer.encode(try render(), addSpecialTokens: addSpecial) }
        } else {
            let prompt = try body.required("prompt").string()
            let addSpecial = try body.bool("add_special_tokens") ?? true
            tokens = try await BlockingWork.compute { tokenizer.encode(prompt, addSpecialTokens: addSpecial) }
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
        // vocab ≥ 1: a tokenizer.json without tokens is refused at load.
        let ids = try node.array().map { try $0.int(in: 0...(vocab - 1)) }
        try await response.sendJSON(.ok, .object([("prompt", .string(service.tokenizer.decode(ids)))]))
    }

    func applyTemplate(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let body = try await request.jsonBody()
        let render = try await renderer(body, choice: try await resolvedChoice(body, request: request))
        let text = try await BlockingWork.compute { try render() }
        try await response.sendJSON(.ok, .object([("prompt", .string(text))]))
    }

    /// The adapter the request names, resolved as a generation would resolve it.
    private func resolvedChoice(_ body: JSONNode, request: HTTPRequest) async throws -> AdapterChoice {
        let context = InferenceContext(service: service, metrics: metrics)
        let choice = try context.chooseAdapter(query: request.query("adapter"), fields: try GenerationFields(json: body))
        try await context.requireResolvable(choice)
        return choice
    }

    /// The conversation's rendering, to run off the event loop as chat
    /// completions does (a template may take up to its sandbox limits).
    private func renderer(_ body: JSONNode, choice: AdapterChoice) async throws -> @Sendable () throws -> String {
        let templates = try await ChatTemplates(service: service).templates(for: choice)
        let prompt = try ChatPrompt(json: body, addGenerationPromptByDefault: true)
        let specialTokens = service.chat.model.specialTokens
        return { try prompt.render(templates, specialTokens: specialTokens) }
    }
}
