/// The sampling defaults a model ships in its generation_config.json
/// (`temperature`, `top_p`, `top_k`, `min_p`, `repetition_penalty`,
/// `max_new_tokens`): what a request that leaves one out gets, as vLLM
/// applies them with its default `--generation-config auto` (its
/// `get_diff_sampling_param` reads exactly these keys, `max_new_tokens` as
/// the default `max_tokens`). Nil is "not set": the server's own default.
/// `do_sample` is not read: vLLM does not either.
public struct SamplingDefaults: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var minP: Double?
    public var repetitionPenalty: Double?
    public var maxNewTokens: Int?

    public init(temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, minP: Double? = nil,
                repetitionPenalty: Double? = nil, maxNewTokens: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.maxNewTokens = maxNewTokens
    }

    /// None set.
    public static let none = SamplingDefaults()

    public var isEmpty: Bool { self == .none }

    /// `key=value` for each default set, for the start-up log.
    public var fields: [(String, String)] {
        var out: [(String, String)] = []
        if let temperature { out.append(("temperature", String(temperature))) }
        if let topP { out.append(("top_p", String(topP))) }
        if let topK { out.append(("top_k", String(topK))) }
        if let minP { out.append(("min_p", String(minP))) }
        if let repetitionPenalty { out.append(("repetition_penalty", String(repetitionPenalty))) }
        if let maxNewTokens { out.append(("max_tokens", String(maxNewTokens))) }
        return out
    }
}
