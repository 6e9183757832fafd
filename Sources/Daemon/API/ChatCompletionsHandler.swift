import Foundation
import HTTP1
import OrderedJSON
import Serving

/// `POST /v1/chat/completions`: parse → pick the adapter (exactly as
/// completions) → take its chat template and its lease, of one stored
/// version (`ChatTemplates.resolve`) → render the conversation with that
/// template → submit `n` sequences to the engine together, sharing the
/// lease → answer with OpenAI's `chat.completion`, or stream
/// `chat.completion.chunk`s (each choice's `role` first, then its content
/// and tool calls, then its finish reason; with
/// `stream_options.include_usage` a last chunk with the usage and no
/// choices) ending in `data: [DONE]`.
///
/// The rendered prompt is tokenized without adding special tokens again, as
/// transformers' `apply_chat_template(tokenize=True)` does (the template
/// writes BOS itself when the model wants one). Choice i samples with
/// `seed + i`: every choice makes the draws of the solo request with its seed.
struct ChatCompletionsHandler {
    let service: LoadedModel
    let metrics: MetricsBridge

    func handle(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> CompletionsHandler.Outcome {
        try service.auth.requireInference(request)
        let body = try ChatRequest(json: try await request.jsonBody(), defaults: service.samplingDefaults)
        let context = InferenceContext(service: service, metrics: metrics)
        let choice = try context.chooseAdapter(query: request.query("adapter"), fields: body.fields)
        // The adapter's template and its weights, of one version; the lease
        // goes to the request's sequences and nothing else holds it.
        let (templates, lease) = try await context.namingUnknownAdapters(of: choice) {
            try await ChatTemplates(service: service).resolve(for: choice)
        }
        let format = body.toolChoice == .auto && body.prompt.hasTools
            ? service.chat.toolCallParser.format(for: templates.sources) : nil
        let prompt = body.prompt
        let tokenizer = service.tokenizer, specialTokens = service.chat.model.specialTokens
        let stopIDs = service.chat.stopTokenIDs
        let engine = service.engine
        let submission = try await context.submit(choice, lease: consume lease, choicesPerPrompt: body.n) { [body] in
            let text = try prompt.render(templates, specialTokens: specialTokens)
            let tokens = try body.fields.truncated(try InferenceContext.fitModel(tokenizer.encode(text, addSpecialTokens: false),
                                                                             engine: engine),
                                               contextLength: engine.contextLength)
            // Without max_tokens: as many as the context and the
            // KV budget leave for this prompt (vLLM: max_model_len − prompt).
            let fits = min(engine.contextLength, engine.configuration.kvCacheBytes / max(1, engine.kvBytesPerPosition))
            let maxTokens = body.maxTokens ?? max(1, fits - tokens.count)
            return (0..<body.n).map { i in
                body.fields.generationRequest(prompt: tokens, adapters: choice.spec, maxTokens: maxTokens,
                                              eos: stopIDs.isEmpty ? nil : stopIDs, logprobs: body.topLogprobs, seedOffset: i)
            }
        }
        response.onCancel { submission.cancel() }

        let meta = ChatCompletionBody.Meta(id: "chatcmpl-" + InferenceContext.randomID(),
                                           created: Int(Date().timeIntervalSince1970), model: choice.modelName)
        let adapter = choice.spec.isBase ? nil : choice.spec.description
        var outputs = (0..<body.n).map { _ in ChatChoiceOutput(format: format, logprobs: body.topLogprobs != nil) }
        return try await context.conclude(submission, adapter: adapter) {
            body.stream
                ? try await stream(submission, meta: meta, outputs: &outputs, includeUsage: body.includeUsage, to: response)
                : try await respond(submission, meta: meta, outputs: &outputs, to: response)
        }
    }

    private func respond(_ submission: InferenceContext.Submission, meta: ChatCompletionBody.Meta,
                         outputs: inout [ChatChoiceOutput], to response: HTTPResponse) async throws -> [GenerationResult?] {
        var results = [GenerationResult?](repeating: nil, count: outputs.count)
        var promptLogprobs: JSONValue?
        while let (i, event) = await submission.events.next() {
            switch event {
            case .prompt(let scores):
                // Every choice reads the same prompt: the first to finish reading it answers.
                if promptLogprobs == nil {
                    promptLogprobs = PromptLogprobsEntry.json(PromptLogprobsEntry.list(
                        prompt: submission.prompts[i], scores: scores, tokenizer: service.tokenizer))
                }
            case .token(let token):
                _ = outputs[i].take(token, tokenizer: service.tokenizer)
            case .finished(let result):
                results[i] = result
                // Cancelled: the client is gone, nobody to answer.
                if result.finishReason == .cancelled { return results }
                if result.finishReason == .error { throw APIError.map(result.error ?? .engine("generation failed")) }
                _ = outputs[i].finish()
            }
        }
        let finished = results.compactMap { $0 }
        let choices = outputs.indices.map { i in
            ChatCompletionBody.choice(index: i, message: outputs[i].message,
                                      logprobs: outputs[i].reportsLogprobs ? outputs[i].allLogprobs : nil,
                                      finishReason: results[i].flatMap(outputs[i].finishReason))
        }
        try await response.sendJSON(.ok, ChatCompletionBody.completion(meta, choices: choices, usage: Self.usage(submission, finished),
                                                                       promptLogprobs: promptLogprobs))
        return results
    }

    /// Usage over all choices: the prompt once, every choice's tokens.
    static func usage(_ submission: InferenceContext.Submission, _ results: [GenerationResult]) -> JSONValue {
        ChatCompletionBody.usage(prompt: submission.promptTokens, completion: results.reduce(0) { $0 + $1.completionTokens })
    }

    private func stream(_ submission: InferenceContext.Submission, meta: ChatCompletionBody.Meta,
                        outputs: inout [ChatChoiceOutput], includeUsage: Bool,
                        to response: HTTPResponse) async throws -> [GenerationResult?] {
        let sse = try await response.startEventStream()
        let usageSlot: JSONValue? = includeUsage ? .null : nil
        func send(_ choices: [JSONValue], usage: JSONValue? = nil) async throws {
            try await sse.send(data: ChatCompletionBody.chunk(meta, choices: choices, usage: usage ?? usageSlot).serialized())
        }
        var results = [GenerationResult?](repeating: nil, count: outputs.count)
        do {
            for i in outputs.indices {
                try await send([ChatCompletionBody.deltaChoice(index: i, delta: [("role", .string("assistant")), ("content", .string(""))],
                                                               logprobs: nil, finishReason: nil)])
            }
            while let (i, event) = await submission.events.next() {
                switch event {
                case .prompt:
                    break   // prompt_logprobs is refused with stream
                case .token(let token):
                    for delta in outputs[i].take(token, tokenizer: service.tokenizer) {
                        try await send([ChatCompletionBody.deltaChoice(index: i, delta: delta, logprobs: outputs[i].takeLogprobs(),
                                                                       finishReason: nil)])
                    }
                case .finished(let result):
                    results[i] = result
                    if result.finishReason == .cancelled { return results }   // the client is gone
                    if let error = result.error, result.finishReason == .error {
                        submission.cancel()   // the other choices' answer is gone with this one
                        try await sse.finish(with: error)
                        return results
                    }
                    for delta in outputs[i].finish() {
                        try await send([ChatCompletionBody.deltaChoice(index: i, delta: delta, logprobs: outputs[i].takeLogprobs(),
                                                                       finishReason: nil)])
                    }
                    try await send([ChatCompletionBody.deltaChoice(index: i, delta: [], logprobs: outputs[i].takeLogprobs(),
                                                                   finishReason: outputs[i].finishReason(result))])
                }
            }
            if includeUsage { try await send([], usage: Self.usage(submission, results.compactMap { $0 })) }
            try await sse.finishWithDone()
            return results
        } catch let error as HTTPConnectionError {
            throw error   // nobody to tell
        } catch {
            // The caller cancels the generation.
            try await sse.finish(with: error)
            throw error
        }
    }
}
