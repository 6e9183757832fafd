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
        let body = try CompletionRequest(json: try await request.jsonBody(), defaults: service.samplingDefaults)
        let context = InferenceContext(service: service, metrics: metrics)
        let choice = try context.chooseAdapter(query: request.query("adapter"), fields: body.fields)
        let engine = service.engine
        // Sample j of prompt p is choice p · n + j, seeded seed + j.
        let submission = try await context.submit(choice, choicesPerPrompt: body.n) { [body] in
            try body.prompts.flatMap { prompt -> [GenerationRequest] in
                let tokens: [Int]
                switch prompt {
                case .text(let text): tokens = try InferenceContext.fitModel(engine.tokenizer.encode(text), engine: engine)
                case .tokens(let ids): tokens = ids
                }
                let kept = try body.fields.truncated(tokens, contextLength: engine.contextLength)
                return (0..<body.n).map { j in
                    var request = body.fields.generationRequest(prompt: kept, adapters: choice.spec, maxTokens: body.maxTokens,
                                                                eos: nil, logprobs: body.logprobs, seedOffset: j)
                    // Echo with logprobs scores the prompt as well (the wider of the two asks).
                    if body.echo, let logprobs = body.logprobs { request.promptLogprobs = max(logprobs, request.promptLogprobs ?? 0) }
                    return request
                }
            }
        }
        response.onCancel { submission.cancel() }

        let meta = ResponseMeta(id: "cmpl-" + InferenceContext.randomID(), created: Int(Date().timeIntervalSince1970), model: choice.modelName)
        let adapter = choice.spec.isBase ? nil : choice.spec.description
        let echoes = body.echo ? echoTexts(body, submission) : Array(repeating: "", count: submission.handles.count)
        return try await context.conclude(submission, adapter: adapter) {
            body.stream
                ? try await stream(submission, meta: meta, echoes: echoes, logprobs: body.logprobs != nil,
                                   skipSpecialTokens: body.fields.skipSpecialTokens, includeUsage: body.includeUsage, to: response)
                : try await respond(submission, meta: meta, echoes: echoes, echoed: body.echo, logprobs: body.logprobs != nil,
                                    skipSpecialTokens: body.fields.skipSpecialTokens, listsPrompt: body.promptLogprobs != nil,
                                    n: body.n, to: response)
        }
    }

    struct ResponseMeta {
        let id: String
        let created: Int
        let model: String
    }

    /// Each choice's `echo` text: its prompt as sent when that was text and
    /// kept whole, else the decoding of the ids it ran on (special tokens
    /// included, as vLLM decodes an echoed prompt).
    private func echoTexts(_ body: CompletionRequest, _ submission: InferenceContext.Submission) -> [String] {
        submission.prompts.indices.map { i in
            let prompt = body.prompts[i / body.n], ids = submission.prompts[i]
            if case .text(let text) = prompt, body.truncatePromptTokens == nil { return text }
            return service.tokenizer.decode(ids)
        }
    }

    // MARK: rendering

    /// - Parameters:
    ///   - echoed: the request's `echo` (its logprobs then start with the prompt's).
    ///   - listsPrompt: the request asked for vLLM's `prompt_logprobs`.
    ///   - n: samples per prompt (choice p · n + j).
    private func respond(_ submission: InferenceContext.Submission, meta: ResponseMeta, echoes: [String], echoed: Bool,
                         logprobs: Bool, skipSpecialTokens: Bool, listsPrompt: Bool, n: Int,
                         to response: HTTPResponse) async throws -> [GenerationResult?] {
        var results = [GenerationResult?](repeating: nil, count: echoes.count)
        var reports = [CompletionLogprobs](repeating: CompletionLogprobs(), count: echoes.count)
        var promptLists = [PromptLogprobsEntry.List?](repeating: nil, count: echoes.count)
        // Offsets in each choice's text, which starts with its echo.
        var offsets = offsetCursors(echoes, skipSpecialTokens: skipSpecialTokens)
        while let (i, event) = await submission.events.next() {
            switch event {
            case .prompt(let scores):
                if echoed, logprobs { reports[i] = promptReport(submission.prompts[i], scores, echo: echoes[i]) }
                if listsPrompt {
                    // Sample 0 of a prompt scores it for all n of its choices.
                    let list = PromptLogprobsEntry.list(prompt: submission.prompts[i], scores: scores, tokenizer: service.tokenizer)
                    let first = i - i % n
                    for k in first..<(first + n) where promptLists[k] == nil { promptLists[k] = list }
                }
            case .token(let token):
                if logprobs { append(token, to: &reports[i], offset: &offsets[i]) }
            case .finished(let result):
                results[i] = result
                // Cancelled: the client is gone, nobody to answer.
                if result.finishReason == .cancelled { return results }
                if result.finishReason == .error { throw APIError.map(result.error ?? .engine("generation failed")) }
            }
        }
        let choices = echoes.indices.map { i in
            var choice = CompletionResponse.Choice(text: echoes[i] + (results[i]?.text ?? ""), index: i,
                                                   logprobs: logprobs ? reports[i] : nil,
                                                   finish_reason: results[i].flatMap(InferenceContext.finishReason))
            choice.prompt_logprobs = promptLists[i]
            return choice
        }
        try await response.sendAPI(.ok, CompletionResponse(id: meta.id, created: meta.created, model: meta.model,
                                                          choices: choices, usage: Self.usage(submission, results)))
        return results
    }

    /// Usage over all choices: each prompt once, every choice's tokens.
    static func usage(_ submission: InferenceContext.Submission, _ results: [GenerationResult?]) -> CompletionResponse.Usage {
        .init(prompt: submission.promptTokens, completion: results.reduce(0) { $0 + ($1?.completionTokens ?? 0) })
    }

    /// SSE chunks, each for one choice (its `index`): the echoed prompt
    /// first, then one per piece of text, one with the finish reason; after
    /// every choice finished, (`includeUsage`) one with no choices and the
    /// usage, then `[DONE]`.
    private func stream(_ submission: InferenceContext.Submission, meta: ResponseMeta, echoes: [String], logprobs: Bool,
                        skipSpecialTokens: Bool, includeUsage: Bool, to response: HTTPResponse) async throws -> [GenerationResult?] {
        let sse = try await response.startEventStream()
        func chunk(_ choices: [CompletionResponse.Choice], usage: CompletionResponse.Usage? = nil) throws -> String {
            try JSONOutput.string(CompletionResponse(id: meta.id, created: meta.created, model: meta.model,
                                                     choices: choices, usage: usage))
        }
        func chunk(_ i: Int, _ text: String, _ report: CompletionLogprobs?, finish: String?) throws -> String {
            try chunk([.init(text: text, index: i, logprobs: report, finish_reason: finish)])
        }
        var results = [GenerationResult?](repeating: nil, count: echoes.count)
        var offsets = offsetCursors(echoes, skipSpecialTokens: skipSpecialTokens)
        do {
            // With logprobs the echo waits for the prompt's scores (`.prompt`).
            for (i, echo) in echoes.enumerated() where !echo.isEmpty && !logprobs {
                try await sse.send(data: try chunk(i, echo, nil, finish: nil))
            }
            while let (i, event) = await submission.events.next() {
                switch event {
                case .prompt(let scores):
                    try await sse.send(data: try chunk(i, echoes[i], promptReport(submission.prompts[i], scores, echo: echoes[i]), finish: nil))
                case .token(let token):
                    var report = CompletionLogprobs()
                    if logprobs { append(token, to: &report, offset: &offsets[i]) }
                    // Held-back text yields empty pieces; they carry nothing to show.
                    guard !token.text.isEmpty || !report.isEmpty else { continue }
                    try await sse.send(data: try chunk(i, token.text, logprobs ? report : nil, finish: nil))
                case .finished(let result):
                    results[i] = result
                    if result.finishReason == .cancelled { return results }   // the client is gone
                    if let error = result.error, result.finishReason == .error {
                        submission.cancel()   // the other choices' answer is gone with this one
                        try await sse.send(data: APIErrorBody(APIError.map(error)).json)
                        try await sse.finishWithDone()
                        return results
                    }
                    try await sse.send(data: try chunk(i, "", nil, finish: InferenceContext.finishReason(result)))
                }
            }
            if includeUsage { try await sse.send(data: try chunk([], usage: Self.usage(submission, results))) }
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

    /// The echoed prompt's part of the logprobs: every prompt token, the
    /// first with null (nothing comes before it), the others with their
    /// score given the tokens before them. `text_offset` is where each
    /// token's text starts in `echo`, the text the choice shows: the
    /// prompt's text is decoded incrementally (whole characters only) and
    /// matched against it, so a token the echo does not show — the BOS the
    /// tokenizer added to a text prompt — takes no room, and the offsets of
    /// the generated tokens carry on from the echo's length.
    private func promptReport(_ prompt: [Int], _ scores: [PromptTokenLogprob], echo: String) -> CompletionLogprobs {
        var report = CompletionLogprobs()
        let shown = Array(echo.unicodeScalars)
        var decoder = service.tokenizer.makeStreamingDecoder()
        var cursor = 0
        for (i, id) in prompt.enumerated() {
            let text = service.tokenizer.decode([id])
            report.tokens.append(text)
            report.text_offset.append(cursor)
            let piece = Array(decoder.push(id).unicodeScalars)
            if cursor + piece.count <= shown.count, shown[cursor..<(cursor + piece.count)].elementsEqual(piece) {
                cursor += piece.count
            }
            guard i > 0, i - 1 < scores.count else {
                report.token_logprobs.append(nil)
                report.top_logprobs.append(nil)
                continue
            }
            report.token_logprobs.append(scores[i - 1].logprob)
            report.top_logprobs.append(alternatives(scores[i - 1].topLogprobs, chosen: (text, scores[i - 1].logprob)))
        }
        return report
    }

    /// {token text: logprob} of the top alternatives and the chosen token
    /// (OpenAI's legacy completions list "the most likely tokens, as well
    /// the chosen tokens": up to logprobs + 1 entries, as vLLM gives them);
    /// two ids with the same text keep the larger.
    private func alternatives(_ top: [(id: Int, logprob: Float)], chosen: (text: String, logprob: Float)) -> [String: Float] {
        var out: [String: Float] = [:]
        for alt in top {
            let key = service.tokenizer.decode([alt.id])
            out[key] = max(out[key] ?? -.infinity, alt.logprob)
        }
        out[chosen.text] = max(out[chosen.text] ?? -.infinity, chosen.logprob)
        return out
    }

    private func append(_ token: GeneratedToken, to report: inout CompletionLogprobs, offset: inout TextOffsetCursor) {
        guard token.id >= 0, let logprob = token.logprob else { return }
        let text = service.tokenizer.decode([token.id])
        report.tokens.append(text)
        report.token_logprobs.append(logprob)
        report.top_logprobs.append(alternatives(token.topLogprobs, chosen: (text, logprob)))
        report.text_offset.append(offset.advance(over: token.id))
    }

    /// One `TextOffsetCursor` per choice, starting after its echo.
    private func offsetCursors(_ echoes: [String], skipSpecialTokens: Bool) -> [TextOffsetCursor] {
        echoes.map { TextOffsetCursor(start: $0.unicodeScalars.count, tokenizer: service.tokenizer, skipSpecialTokens: skipSpecialTokens) }
    }
}
