import OrderedJSON
import Serving
import Tokenization

/// One prompt token's entry in vLLM's `prompt_logprobs`: per token id (the
/// prompt's own token and the top alternatives at that position), its
/// log-probability, its rank in the model's distribution (1 = most likely)
/// and its text. The list has one entry per prompt token, `null` for the
/// first (nothing comes before it). A log-probability below -9999 is
/// written as -9999, as chat's logprobs are (vLLM's clamp of -inf).
struct PromptLogprobsEntry: Codable, Sendable, Equatable {
    var logprob: Float
    var rank: Int
    var decoded_token: String

    /// One prompt's list: nil for the first token, then {token id: entry}.
    typealias List = [[String: PromptLogprobsEntry]?]

    /// `prompt`'s list: null, then `{token id: entry}` for every later token.
    static func list(prompt: [Int], scores: [PromptTokenLogprob], tokenizer: Tokenizer) -> List {
        [nil] + scores.map { score in
            var entries: [String: PromptLogprobsEntry] = [:]
            // The alternatives come most likely first: their rank is their place.
            for (place, alt) in score.topLogprobs.enumerated() {
                entries[String(alt.id)] = PromptLogprobsEntry(logprob: max(alt.logprob, -9999), rank: place + 1,
                                                              decoded_token: tokenizer.decode([alt.id]))
            }
            entries[String(score.id)] = PromptLogprobsEntry(logprob: max(score.logprob, -9999), rank: score.rank,
                                                            decoded_token: tokenizer.decode([score.id]))
            return entries
        }
    }

    /// `list` as a JSON value (chat's top-level `prompt_logprobs`), each
    /// position's ids in rank order.
    static func json(_ list: List) -> JSONValue {
        .array(list.map { entries in
            guard let entries else { return .null }
            return .object(entries.sorted { ($0.value.rank, $0.key) < ($1.value.rank, $1.key) }.map { id, entry in
                (id, .object([("logprob", .float(Double(entry.logprob))), ("rank", .integer(entry.rank)),
                              ("decoded_token", .string(entry.decoded_token))]))
            })
        })
    }
}
