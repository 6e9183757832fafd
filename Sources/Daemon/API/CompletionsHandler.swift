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
        let context = InferenceContext(service: service, metrics: metrics)
        let choice = try context.chooseAdapter(query: request.query("adapter"), fields: body.fields)
        let engine = service.engine
        let submission = try await context.submit(choice) { [body] in
            let promptTokens: [Int]
            switch body.prompt {
            case .text(let text): promptTokens = try InferenceContext.fitModel(engine.tokenizer.encode(text), engine: engine)
            case .tokens(let ids): promptTokens = ids
            }
            return [body.fields.generationRequest(prompt: body.fields.truncated(promptTokens, contextLength: engine.contextLength),
                                                  adapters: choice.spec, maxTokens: body.maxTokens, eos: nil,
                                                  logprobs: body.logprobs)]
        }
        response.onCancel { submission.cancel() }

        let meta = ResponseMeta(id: "cmpl-" + InferenceContext.randomID(), created: Int(Date().timeIntervalSince1970), model: choice.modelName)
        let adapter = choice.spec.isBase ? nil : choice.spec.description
        var outcome = Outcome(adapter: adapter, promptTokens: submission.promptTokens)
        var result: GenerationResult?
        do {
            result = body.stream
                ? try await stream(submission.events, meta: meta, logprobs: body.logprobs != nil,
                                   includeUsage: body.includeUsage, to: response)
                : try await respond(submission.events, meta: meta, logprobs: body.logprobs != nil, to: response)
        } catch {
            // The client went away mid-stream (or rendering failed): stop
            // generating, and still account for what was generated.
            submission.cancel()
            context.record(await submission.events.finals(), adapter: adapter)
            throw error
        }
        context.record([result], adapter: adapter)
        outcome.completionTokens = result?.completionTokens
        outcome.timeToFirstToken = result?.timeToFirstToken
        if result?.finishReason == .cancelled { throw HTTPConnectionError.clientDisconnected }
        return outcome
    }

    struct ResponseMeta {
        let id: String
        let created: Int
        let model: String
    }

    // MARK: rendering

    private func respond(_ events: GenerationEventQueue, meta: ResponseMeta, logprobs: Bool,
                         to response: HTTPResponse) async throws -> GenerationResult? {
        var report = CompletionLogprobs()
        var offset = 0
        while let (_, event) = await events.next() {
            switch event {
            case .token(let token):
                if logprobs { append(token, to: &report, offset: &offset) }
            case .finished(let result):
                // Cancelled: the client is gone, nobody to answer.
                if result.finishReason == .cancelled { return result }
                if result.finishReason == .error { throw APIError.map(result.error ?? .engine("generation failed")) }
                let choice = CompletionResponse.Choice(text: result.text, logprobs: logprobs ? report : nil,
                                                       finish_reason: InferenceContext.finishReason(result))
                try await response.sendAPI(.ok, CompletionResponse(
                    id: meta.id, created: meta.created, model: meta.model, choices: [choice],
                    usage: .init(prompt: result.promptTokens, completion: result.completionTokens)))
                return result
            }
        }
        return nil
    }

    /// SSE chunks: one per piece of text, one with the finish reason, then
    /// (`includeUsage`) one with no choices and the usage, then `[DONE]`.
    private func stream(_ events: GenerationEventQueue, meta: ResponseMeta, logprobs: Bool, includeUsage: Bool,
                        to response: HTTPResponse) async throws -> GenerationResult? {
        let sse = try await response.startEventStream()
        func chunk(_ choices: [CompletionResponse.Choice], usage: CompletionResponse.Usage? = nil) throws -> String {
            try JSONOutput.string(CompletionResponse(id: meta.id, created: meta.created, model: meta.model,
                                                     choices: choices, usage: usage))
        }
        func chunk(_ text: String, _ report: CompletionLogprobs?, finish: String?) throws -> String {
            try chunk([.init(text: text, logprobs: report, finish_reason: finish)])
        }
        var offset = 0
        do {
            while let (_, event) = await events.next() {
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
                        try await sse.send(data: try chunk("", nil, finish: InferenceContext.finishReason(result)))
                        if includeUsage {
                            try await sse.send(data: try chunk([], usage: .init(prompt: result.promptTokens,
                                                                                completion: result.completionTokens)))
                        }
                    }
                    try await sse.finishWithDone()
                    return result
                }
            }
        } catch let error as HTTPConnectionError {
            throw error   // nobody to tell
        } catch {
            // The caller cancels the generation.
            try await sse.finish(with: error)
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
}
