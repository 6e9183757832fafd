import Foundation
import HTTP1
import Serving

/// What the generating endpoints (`/v1/completions`, `/v1/chat/completions`)
/// share: the adapter a request names, submitting its sequences to the engine
/// off the event loop, and accounting for what they generated.
struct InferenceContext {
    let service: LoadedModel
    let metrics: MetricsBridge

    /// `?adapter=`, then `"adapter"`, then a `"model"` that names adapters;
    /// absent or the base model's id means the base. A malformed spec is 400,
    /// or 404 for a `"model"` (an unknown model, with how to name one and
    /// what was wrong with it read as a spec). The response's `model` is what
    /// is served — the base's id or the spec in its canonical form — not a
    /// `"model"` the query or `"adapter"` overrode (OpenAI answers with the
    /// model that ran, too).
    func chooseAdapter(query: String?, fields: GenerationFields) throws -> AdapterChoice {
        let chosen = query ?? fields.adapter ?? fields.model.flatMap { $0 == service.modelID ? nil : $0 }
        guard let text = chosen, !text.isEmpty, text != service.modelID else {
            return AdapterChoice(spec: .base, modelName: service.modelID, text: "", namedByModel: false)
        }
        let namedByModel = query == nil && fields.adapter == nil
        let spec: AdapterSpec
        do { spec = try AdapterSpec(parsing: text) } catch {
            if namedByModel { throw unknownModel(text, readAsSpec: "\(error)") }
            throw error
        }
        return AdapterChoice(spec: spec, modelName: spec.description, text: text, namedByModel: namedByModel)
    }

    /// An adapter the registry does not know, as the request named it.
    func unknownAdapter(_ name: String, choice: AdapterChoice) -> HTTPError {
        choice.namedByModel ? unknownModel(choice.text) : APIError.notFound(
            "no adapter named '\(name)' (GET /adapters lists them; upload one with POST /adapters)")
    }

    /// - Parameter readAsSpec: why `name` is not an adapter spec either, if it is not.
    func unknownModel(_ name: String, readAsSpec problem: String? = nil) -> HTTPError {
        APIError.notFound("model '\(name)' does not exist: use the base model '\(service.modelID)', or the name of a "
            + "registered adapter (GET /v1/models lists them), or pick adapters with `?adapter=NAME`, "
            + "`\"adapter\": \"NAME\"` or `NAME:0.5,OTHER:0.5`" + (problem.map { " (read as an adapter spec: \($0))" } ?? ""))
    }

    /// Resolves the adapters `choice` names as a generation would (the cache
    /// loads them if needed, from the registry or an adapter folder), for the
    /// endpoints that render or count without generating: an unknown name is
    /// the same 404, an incompatible adapter the same error, as completions.
    func requireResolvable(_ choice: AdapterChoice) async throws {
        guard !choice.spec.isBase else { return }
        let adapters = service.engine.adapters
        let spec = choice.spec
        try await namingUnknownAdapters(of: choice) {
            try await BlockingWork.compute { _ = try adapters.lease(spec) }
        }
    }

    /// `body`, with an adapter the sources do not know answered as the
    /// request named it (`unknownAdapter`).
    func namingUnknownAdapters<T>(of choice: AdapterChoice, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch AdapterSourceError.unknownAdapter(let name) {
            throw unknownAdapter(name, choice: choice)
        }
    }

    /// Sequences running for one request; `events` carries all of them.
    struct Submission {
        let handles: [GenerationHandle]
        let events: GenerationEventQueue
        /// Each sequence's prompt ids, by choice.
        let prompts: [[Int]]
        /// Prompt tokens of the request: each distinct prompt once (the
        /// `choicesPerPrompt` samples of one prompt share it), as usage counts them.
        let promptTokens: Int

        func cancel() { for h in handles { h.cancel() } }
    }

    /// Builds the requests (tokenizing happens here) and submits them, off
    /// the event loop: the adapter cache may load an adapter cold (a
    /// registry read and validation). A resident adapter is served without
    /// asking the registry; an unknown name comes back from it as
    /// `unknownAdapter`.
    ///
    /// The request's adapters are resolved once (`Engine.prepare`: one
    /// lease) for all its sequences, which enter the engine together or not
    /// at all: they share its batches, and every one runs the version leased,
    /// as each would alone. A replace landing after the lease serves only
    /// later requests; one landing between per-sequence leases used to split
    /// a response between two versions.
    ///
    /// - Parameters:
    ///   - lease: the request's lease when the caller took it to know the
    ///     version first (chat: the template must be that version's).
    ///   - choicesPerPrompt: how many consecutive requests share one prompt
    ///     (completions' and chat's `n`), for the usage's prompt count.
    func submit(_ choice: AdapterChoice, lease: AdapterLease? = nil, choicesPerPrompt: Int,
                _ build: @escaping @Sendable () throws -> [GenerationRequest]) async throws -> Submission {
        let engine = service.engine, seams = service.seams
        return try await namingUnknownAdapters(of: choice) {
            try await BlockingWork.compute {
                let requests = try build()
                // Each choice waits in the queue as a sequence of its own: more
                // than max_queue of them could never be admitted together, so
                // that is the request's fault (400), not a load to retry (503).
                let maxQueue = engine.configuration.maxQueue
                guard requests.count <= maxQueue else {
                    throw APIError.badRequest("\(requests.count) choices (prompts × n) need \(requests.count) queue slots, "
                        + "but this server queues at most \(maxQueue) (max_queue)")
                }
                let group = try engine.prepare(requests, lease: lease)
                seams.reach(.adaptersLeased)
                let events = GenerationEventQueue(choices: requests.count)
                // Refused here (the queue filled meanwhile), nothing was
                // queued and the lease ends with `group`.
                let handles = try engine.submit(group) { i, event in events.push(event, choice: i) }
                let prompts = requests.map(\.promptTokens)
                let distinct = stride(from: 0, to: prompts.count, by: max(1, choicesPerPrompt)).reduce(0) { $0 + prompts[$1].count }
                return Submission(handles: handles, events: events, prompts: prompts, promptTokens: distinct)
            }
        }
    }

    /// `tokens`, tokenized from a request's text, when every id has an
    /// embedding row. One past config.json's vocab_size is not the request's
    /// doing (it sent text): the 400 says which token and that the model's
    /// own files disagree (the start-up log warned of it).
    static func fitModel(_ tokens: [Int], engine: Engine) throws -> [Int] {
        let vocab = engine.model.config.vocabSize
        guard let bad = tokens.first(where: { $0 >= vocab }) else { return tokens }
        throw APIError.badRequest("the text tokenizes to token id \(bad) (`\(engine.tokenizer.decode([bad]))`), "
            + "which the model has no embedding for: tokenizer.json reaches past config.json's vocab_size \(vocab)")
    }

    /// Runs `reply` (the handler answering from the submission's events) and
    /// counts every sequence in the metrics, also those a reply cut short
    /// did not wait for (its client gone, another choice failed), then gives
    /// the request's outcome, or throws what ended it.
    func conclude(_ submission: Submission, adapter: String?,
                  reply: () async throws -> [GenerationResult?]) async throws -> CompletionsHandler.Outcome {
        let seen: [GenerationResult?]
        do {
            seen = try await reply()
        } catch {
            // The client went away mid-stream, or rendering failed: stop
            // generating, and still account for what was generated.
            submission.cancel()
            record(await submission.events.finals(), adapter: adapter)
            throw error
        }
        let all = await submission.events.finals()
        record(all, adapter: adapter)
        if seen.contains(where: { $0?.finishReason == .cancelled }) { throw HTTPConnectionError.clientDisconnected }
        return CompletionsHandler.Outcome(adapter: adapter, promptTokens: submission.promptTokens,
                                          completionTokens: all.reduce(0) { $0 + ($1?.completionTokens ?? 0) },
                                          timeToFirstToken: all.compactMap { $0?.timeToFirstToken }.min())
    }

    /// Counts what the sequences generated in the metrics.
    func record(_ results: [GenerationResult?], adapter: String?) {
        for result in results {
            // A sequence cancelled before it left the queue never ran: it is
            // no completion, and the model read none of its prompt.
            guard let result, result.promptTokensRead > 0 || result.completionTokens > 0 || result.finishReason != .cancelled
            else { continue }
            metrics.completion(adapter: adapter, promptTokens: result.promptTokensRead,
                               completionTokens: result.completionTokens, timeToFirstToken: result.timeToFirstToken)
        }
    }

    static func finishReason(_ result: GenerationResult) -> String? {
        switch result.finishReason {
        case .stop: return "stop"
        case .length: return "length"
        case .cancelled, .error: return nil
        }
    }

    /// 24 lowercase hex digits (96 random bits), always that long: each
    /// 32-bit part padded to 8 digits.
    static func randomID() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<3).map { _ in
            let hex = String(g.next() as UInt32, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }
}
