import Foundation
import HTTP1
import Llama
import Serving

/// `POST /v1/completions`: parse → pick the adapter → submit to the engine →
/// render OpenAI's response (whole, or as SSE chunks ending in `data: [DONE]`).
///
/// The engine delivers events on its own thread; they are handed to this
/// handler's task through `GenerationEventQueue` (never blocking the engine). A
/// client that disconnects cancels the generation (`response.onCancel`).
struct CompletionsHandler {
    let service: LoadedModel
    let metrics: MetricsBridge

    /// Outcome for the access log.
    struct Outcome {
        var adapter: String?
        var promptTokens: Int?
        var completionTokens: Int?
        var timeToFirstToken: Double?
    }

    func handle(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> Outcome {
        try service.auth.requireInference(request)
        let body = try CompletionRequest(json: try await request.jsonBody())
        let choice = try chooseAdapter(query: request.query("adapter"), body: body)
        let sampling = SamplingParameters(temperature: Float(body.temperature), topK: body.topK,
                                          topP: Float(body.topP), seed: body.seed)

        let events = GenerationEventQueue()
        // Off the event loop: tokenizing the prompt, and `submit`, whose
        // adapter cache may load an adapter cold (a registry read and
        // validation). A resident adapter is served without asking the
        // registry; an unknown name comes back from it as `unknownAdapter`.
        let engine = service.engine
        let handle: GenerationHandle, promptTokenCount: Int
        do {
            (handle, promptTokenCount) = try await BlockingWork.run { [body] in
                let promptTokens: [Int]
                switch body.prompt {
                case .text(let text): promptTokens = engine.tokenizer.encode(text)
                case .tokens(let ids): promptTokens = ids
                }
                let generation = GenerationRequest(
                    promptTokens: promptTokens, adapters: choice.spec, sampling: sampling,
                    maxTokens: body.maxTokens, stop: body.stop, logprobs: body.logprobs)
                return (try engine.submit(generation) { event in events.push(event) }, promptTokens.count)
            }
        } catch AdapterSourceError.unknownAdapter(let name) {
            throw choice.namedByModel ? unknownModel(choice.text) : APIError.notFound(
                "no adapter named '\(name)' (GET /adapters lists them; upload one with POST /adapters)")
        }
        response.onCancel { handle.cancel() }

        let meta = ResponseMeta(id: "cmpl-" + Self.randomID(), created: Int(Date().timeIntervalSince1970), model: choice.modelName)
        var outcome = Outcome(adapter: choice.spec.isBase ? nil : choice.spec.description, promptTokens: promptTokenCount)
        var result: GenerationResult?
        do {
            result = body.stream
                ? try await stream(events, meta: meta, logprobs: body.logprobs != nil, to: response)
                : try await respond(events, meta: meta, logprobs: body.logprobs != nil, to: response)
        } catch {
            // The client went away mid-stream (or rendering failed): stop
            // generating, and still account for what was generated.
            handle.cancel()
            record(await events.final(), outcome)
            throw error
        }
        record(result, outcome)
        outcome.completionTokens = result?.completionTokens
        outcome.timeToFirstToken = result?.timeToFirstToken
        if result?.finishReason == .cancelled { throw HTTPConnectionError.clientDisconnected }
        return outcome
    }

    private func record(_ result: GenerationResult?, _ outcome: Outcome) {
        guard let result else { return }
        metrics.completion(adapter: outcome.adapter, promptTokens: result.promptTokens,
                           completionTokens: result.completionTokens, timeToFirstToken: result.timeToFirstToken)
    }

    struct ResponseMeta {
        let id: String
        let created: Int
        let model: String
    }

    /// The adapters a request names, parsed but not looked up (the engine's
    /// adapter cache does that).
    struct AdapterChoice: Sendable {
        let spec: AdapterSpec
        /// The `model` of the response: the request's `model`, else the spec text.
        let modelName: String
        /// The spec text as the request gave it.
        let text: String
        /// Named through `"model"` (OpenAI style) rather than `?adapter=` or
        /// `"adapter"`: an unknown name is then an unknown model.
        let namedByModel: Bool
    }

    /// `?adapter=`, then `"adapter"`, then a `"model"` that names adapters;
    /// absent or the base model's id means the base. A malformed spec is 400,
    /// or 404 for a `"model"` (an unknown model, with how to name one).
    func chooseAdapter(query: String?, body: CompletionRequest) throws -> AdapterChoice {
        let chosen = query ?? body.adapter ?? body.model.flatMap { $0 == service.modelID ? nil : $0 }
        guard let text = chosen, !text.isEmpty, text != service.modelID else {
            return AdapterChoice(spec: .base, modelName: service.modelID, text: "", namedByModel: false)
        }
        let namedByModel = query == nil && body.adapter == nil
        let spec: AdapterSpec
        do { spec = try AdapterSpec(parsing: text) } catch {
            if namedByModel { throw unknownModel(text) }
            throw error
        }
        return AdapterChoice(spec: spec, modelName: body.model ?? text, text: text, namedByModel: namedByModel)
    }

    private func unknownModel(_ name: String) -> HTTPError {
        APIError.notFound("model '\(name)' does not exist: use the base model '\(service.modelID)', or the name of a "
            + "registered adapter (GET /v1/models lists them), or pick adapters with `?adapter=NAME`, "
            + "`\"adapter\": \"NAME\"` or `NAME:0.5,OTHER:0.5`")
    }

    // MARK: rendering

    private func respond(_ events: GenerationEventQueue, meta: ResponseMeta, logprobs: Bool,
                         to response: HTTPResponse) async throws -> GenerationResult? {
        var report = CompletionLogprobs()
        var offset = 0
        while let event = await events.next() {
            switch event {
            case .token(let token):
                if logprobs { append(token, to: &report, offset: &offset) }
            case .finished(let result):
                // Cancelled: the client is gone, nobody to answer.
                if result.finishReason == .cancelled { return result }
                if result.finishReason == .error { throw APIError.map(result.error ?? .engine("generation failed")) }
                let choice = CompletionResponse.Choice(text: result.text, logprobs: logprobs ? report : nil,
                                                       finish_reason: Self.finishReason(result))
                try await response.sendAPI(.ok, CompletionResponse(
                    id: meta.id, created: meta.created, model: meta.model, choices: [choice],
                    usage: .init(prompt: result.promptTokens, completion: result.completionTokens)))
                return result
            }
        }
        return nil
    }

    private func stream(_ events: GenerationEventQueue, meta: ResponseMeta, logprobs: Bool,
                        to response: HTTPResponse) async throws -> GenerationResult? {
        let sse = try await response.startEventStream()
        func chunk(_ text: String, _ report: CompletionLogprobs?, finish: String?, usage: CompletionResponse.Usage? = nil) throws -> String {
            try JSONOutput.string(CompletionResponse(
                id: meta.id, created: meta.created, model: meta.model,
                choices: [.init(text: text, logprobs: report, finish_reason: finish)], usage: usage))
        }
        var offset = 0
        do {
            while let event = await events.next() {
                switch event {
                case .token(let token):
                    var report = CompletionLogprobs()
                    if logprobs { append(token, to: &report, offset: &offset) }
                    // Held-back text yields empty pieces; they carry nothing to show.
                    guard !token.text.isEmpty || !report.isEmpty else { continue }
                    try await sse.send(data: try chunk(token.text, logprobs ? report : nil, finish: nil))
                case .finished(let result):
                    if result.finishReason == .cancelled { return result }   // the client is gone
                    if let error = result.error, result.finishReason == .error {
                        try await sse.send(data: APIErrorBody(APIError.map(error)).json)
                    } else {
                        try await sse.send(data: try chunk("", nil, finish: Self.finishReason(result),
                                                           usage: .init(prompt: result.promptTokens, completion: result.completionTokens)))
                    }
                    try await sse.send(data: "[DONE]")
                    try await sse.finish()
                    return result
                }
            }
        } catch let error as HTTPConnectionError {
            throw error   // nobody to tell
        } catch {
            // The status line went out long ago: a failure now is reported the
            // way OpenAI streams report one, as an `{"error": …}` event, and the
            // stream still ends properly; the caller cancels the generation.
            try await sse.send(data: APIErrorBody(APIError.map(error)).json)
            try await sse.send(data: "[DONE]")
            try await sse.finish()
            throw error
        }
        return nil
    }

    private func append(_ token: GeneratedToken, to report: inout CompletionLogprobs, offset: inout Int) {
        guard token.id >= 0, let logprob = token.logprob else { return }
        let text = service.tokenizer.decode([token.id])
        report.tokens.append(text)
        report.token_logprobs.append(logprob)
        var top: [String: Float] = [:]
        for alt in token.topLogprobs {
            let key = service.tokenizer.decode([alt.id])
            top[key] = max(top[key] ?? -.infinity, alt.logprob)
        }
        report.top_logprobs.append(top)
        report.text_offset.append(offset)
        offset += text.unicodeScalars.count
    }

    static func finishReason(_ result: GenerationResult) -> String? {
        switch result.finishReason {
        case .stop: return "stop"
        case .length: return "length"
        case .cancelled, .error: return nil
        }
    }

    static func randomID() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<3).map { _ in String(g.next() as UInt32, radix: 16) }.joined()
    }
}
