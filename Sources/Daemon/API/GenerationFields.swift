import OrderedJSON
import Llama
import Serving

/// The members `POST /v1/completions` and `POST /v1/chat/completions` share,
/// read the same way for both (OpenAI's meaning; vLLM's ranges):
/// `model`, `adapter`, `temperature`, `top_p`, `top_k`, `seed`, `stop`,
/// `stream`, the logits adjustments `presence_penalty`, `frequency_penalty`,
/// `repetition_penalty` and `logit_bias` (applied before temperature, and in
/// greedy mode too — see `LogitsAdjustment`), and vLLM's extras:
/// `ignore_eos`, `min_p`, `min_tokens`, `stop_token_ids`,
/// `include_stop_str_in_output`, `skip_special_tokens`, `allowed_token_ids`,
/// `truncate_prompt_tokens` (`GenerationFields+VLLM.swift`) and `prompt_logprobs`.
///
/// Fields that ask for something lorad does not do are refused naming the
/// field when given a non-default value (`GenerationFields+Unsupported.swift`):
/// `suffix`, llama.cpp's `lora`, `use_beam_search`, `bad_words`,
/// `return_tokens_as_token_ids` and the guided-decoding
/// fields. At their defaults they are accepted, since clients send them.
public struct GenerationFields: Sendable {
    public var model: String?
    public var adapter: String?
    /// OpenAI's default is 1; 0 = greedy.
    public var temperature: Double
    public var topP: Double
    /// 0 = off (vLLM's `top_k`; -1 also means off there).
    public var topK: Int
    public var seed: UInt64?
    public var stop: [String]
    public var stream: Bool
    /// OpenAI's `presence_penalty` (-2…2, default 0).
    public var presencePenalty: Double
    /// OpenAI's `frequency_penalty` (-2…2, default 0).
    public var frequencyPenalty: Double
    /// vLLM's `repetition_penalty` (> 0 and ≤ 100, default 1 = off).
    public var repetitionPenalty: Double
    /// OpenAI's `logit_bias`: token id → bias in -100…100 (ids are checked
    /// against the vocabulary by the engine).
    public var logitBias: [Int: Double]
    /// vLLM's `ignore_eos`: generate past the end-of-sequence tokens, until
    /// `max_tokens` or a stop string (benchmarks use it for fixed lengths).
    public var ignoreEOS: Bool
    /// vLLM's `min_p` (0…1, 0 = off): drop tokens below min_p × the top probability.
    public var minP: Double
    /// vLLM's `min_tokens` (default 0): no EOS, stop token or stop string
    /// ends the output before this many tokens.
    public var minTokens: Int
    /// vLLM's `stop_token_ids`: more ids that end the output like EOS (also
    /// with `ignore_eos`); not part of the text.
    public var stopTokens: Set<Int>
    /// vLLM's `include_stop_str_in_output` (default false).
    public var includeStopInOutput: Bool
    /// vLLM's `skip_special_tokens` (default true): special tokens' text is
    /// left out of the output.
    public var skipSpecialTokens: Bool
    /// vLLM's `allowed_token_ids`: only these may be generated; nil = any.
    public var allowedTokenIDs: Set<Int>?
    /// vLLM's `truncate_prompt_tokens`: keep the prompt's last k tokens
    /// (-1 = the context length); nil = the whole prompt.
    public var truncatePromptTokens: Int?
    /// vLLM's `prompt_logprobs` (0…20 alternatives): each prompt token's
    /// log-probability, rank and the top alternatives; nil = none. Not with
    /// `stream` (vLLM refuses that too).
    public var promptLogprobs: Int?

    /// Most stop strings (OpenAI allows 4; more is harmless, but bounded).
    public static let maxStopStrings = 16
    /// vLLM's `seed` range (a torch.long): -2^63 … 2^63 − 1.
    public static let seedRange = Int.min...Int.max

    /// `defaults` fill the sampling fields the body leaves out (the model's
    /// generation_config.json, `generation_defaults`); lorad's own otherwise.
    public init(json body: JSONNode, defaults: SamplingDefaults = .none) throws {
        guard case .object = body.value else { throw body.mismatch("a JSON object") }
        model = try body.string("model")
        adapter = try body.string("adapter")
        temperature = try body.double("temperature", in: 0...100) ?? defaults.temperature ?? 1
        topP = try Self.topP(body) ?? defaults.topP ?? 1
        topK = max(0, try body.int("top_k", in: -1...Int.max) ?? defaults.topK ?? 0)
        seed = try body.int("seed", in: Self.seedRange).map { UInt64(bitPattern: Int64($0)) }
        stop = try Self.stop(body.optional("stop"))
        stream = try body.bool("stream") ?? false
        presencePenalty = try Self.penalty(body, "presence_penalty")
        frequencyPenalty = try Self.penalty(body, "frequency_penalty")
        repetitionPenalty = try Self.repetitionPenalty(body) ?? defaults.repetitionPenalty ?? 1
        logitBias = try Self.logitBias(body.optional("logit_bias"))
        ignoreEOS = try body.bool("ignore_eos") ?? false
        minP = try body.double("min_p", in: 0...1) ?? defaults.minP ?? 0
        minTokens = try body.int("min_tokens", in: 0...Int.max) ?? 0
        stopTokens = try Self.tokenIDSet(body.optional("stop_token_ids"), most: Self.maxStopTokenIDs) ?? []
        includeStopInOutput = try body.bool("include_stop_str_in_output") ?? false
        skipSpecialTokens = try body.bool("skip_special_tokens") ?? true
        allowedTokenIDs = try Self.tokenIDSet(body.optional("allowed_token_ids"), most: SamplingParameters.maxAllowedTokenIDs)
        if let allowed = body.optional("allowed_token_ids"), allowedTokenIDs?.isEmpty == true {
            throw allowed.mismatch("a non-empty list of token ids")
        }
        if let truncate = body.optional("truncate_prompt_tokens") {
            let keep = try truncate.int(in: -1...Int.max)
            guard keep != 0 else { throw truncate.mismatch("a positive number of tokens, or -1 for the context length") }
            truncatePromptTokens = keep
        } else {
            truncatePromptTokens = nil
        }
        promptLogprobs = try body.int("prompt_logprobs", in: 0...20)
        if promptLogprobs != nil, stream {
            throw JSONAccessError(path: "prompt_logprobs", expected: "absent or null with \"stream\": true (as vLLM)",
                                  found: String(promptLogprobs ?? 0))
        }
        try Self.refuseUnsupported(body)
    }

    /// The sampler's settings, with `seed` moved by `offset` (choice i of
    /// n samples with seed + i: the draws of its own solo run).
    func sampling(seedOffset offset: Int = 0) -> SamplingParameters {
        SamplingParameters(temperature: Float(temperature), topK: topK, topP: Float(topP), minP: Float(minP),
                           seed: seed.map { $0 &+ UInt64(offset) },
                           presencePenalty: Float(presencePenalty), frequencyPenalty: Float(frequencyPenalty),
                           repetitionPenalty: Float(repetitionPenalty), logitBias: logitBias.mapValues { Float($0) },
                           allowedTokenIDs: allowedTokenIDs)
    }

    /// The engine's request for `prompt`: these fields' sampling (choice
    /// `seedOffset` of n) and stop rules, with `eos` the end-of-sequence ids
    /// (nil = the model's own; none with `ignore_eos`). Only choice 0 of a
    /// prompt scores it for `prompt_logprobs`: the others read the same prompt.
    func generationRequest(prompt: [Int], adapters: AdapterSpec, maxTokens: Int, eos: Set<Int>?,
                           logprobs: Int?, seedOffset: Int = 0) -> GenerationRequest {
        GenerationRequest(promptTokens: prompt, adapters: adapters, sampling: sampling(seedOffset: seedOffset),
                          maxTokens: maxTokens, stop: stop, stopTokenIDs: ignoreEOS ? [] : eos,
                          extraStopTokenIDs: stopTokens, minTokens: minTokens, includeStopInOutput: includeStopInOutput,
                          logprobs: logprobs, promptLogprobs: seedOffset == 0 ? promptLogprobs : nil,
                          skipSpecialTokens: skipSpecialTokens)
    }

    static func stop(_ node: JSONNode?) throws -> [String] {
        guard let node else { return [] }
        let stop: [String]
        if case .string(let one) = node.value { stop = [one] } else { stop = try node.array().map { try $0.string() } }
        guard stop.count <= maxStopStrings else { throw node.mismatch("at most \(maxStopStrings) stop strings") }
        guard !stop.contains(where: \.isEmpty) else { throw node.mismatch("non-empty stop strings") }
        return stop
    }
}
