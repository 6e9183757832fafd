import OrderedJSON
import Llama

/// The members `POST /v1/completions` and `POST /v1/chat/completions` share,
/// read the same way for both (OpenAI's meaning; vLLM's ranges):
/// `model`, `adapter`, `temperature`, `top_p`, `top_k`, `seed`, `stop`,
/// `stream`, the logits adjustments `presence_penalty`, `frequency_penalty`,
/// `repetition_penalty` and `logit_bias` (applied before temperature, and in
/// greedy mode too — see `LogitsAdjustment`), and vLLM's `ignore_eos`.
///
/// Fields that ask for something lorad does not do are refused naming the
/// field when given a non-default value (`GenerationFields+Unsupported.swift`):
/// `suffix`, llama.cpp's `lora`, `min_p`, `min_tokens`, `use_beam_search`.
/// At their defaults they are accepted, since clients send them.
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

    /// Most stop strings (OpenAI allows 4; more is harmless, but bounded).
    public static let maxStopStrings = 16
    /// vLLM's `seed` range (a torch.long): -2^63 … 2^63 − 1.
    public static let seedRange = Int.min...Int.max

    public init(json body: JSONNode) throws {
        guard case .object = body.value else { throw body.mismatch("a JSON object") }
        model = try body.string("model")
        adapter = try body.string("adapter")
        temperature = try body.double("temperature", in: 0...100) ?? 1
        topP = try body.double("top_p", in: 0...1) ?? 1
        guard topP > 0 else { throw JSONAccessError(path: "top_p", expected: "a number in (0, 1]", found: "0") }
        topK = max(0, try body.int("top_k", in: -1...Int.max) ?? 0)
        seed = try body.int("seed", in: Self.seedRange).map { UInt64(bitPattern: Int64($0)) }
        stop = try Self.stop(body.optional("stop"))
        stream = try body.bool("stream") ?? false
        presencePenalty = try Self.penalty(body, "presence_penalty")
        frequencyPenalty = try Self.penalty(body, "frequency_penalty")
        repetitionPenalty = try Self.repetitionPenalty(body)
        logitBias = try Self.logitBias(body.optional("logit_bias"))
        ignoreEOS = try body.bool("ignore_eos") ?? false
        try Self.refuseUnsupported(body)
    }

    /// The sampler's settings, with `seed` moved by `offset` (choice i of
    /// n samples with seed + i: the draws of its own solo run).
    func sampling(seedOffset offset: Int = 0) -> SamplingParameters {
        SamplingParameters(temperature: Float(temperature), topK: topK, topP: Float(topP),
                           seed: seed.map { $0 &+ UInt64(offset) },
                           presencePenalty: Float(presencePenalty), frequencyPenalty: Float(frequencyPenalty),
                           repetitionPenalty: Float(repetitionPenalty), logitBias: logitBias.mapValues { Float($0) })
    }

    /// The engine's stop ids for this request: none with `ignore_eos`, else
    /// `eos` (nil = the model's own).
    func stopTokenIDs(eos: Set<Int>?) -> Set<Int>? {
        ignoreEOS ? [] : eos
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
