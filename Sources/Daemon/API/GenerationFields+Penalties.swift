import OrderedJSON
import Llama

// Reading the logits adjustments, with OpenAI's ranges (vLLM's for
// `repetition_penalty`). A wrong type or range is a 400 naming the field.
extension GenerationFields {
    /// `presence_penalty` / `frequency_penalty`: a number in -2…2 (OpenAI's
    /// API reference), default 0.
    static func penalty(_ body: JSONNode, _ key: String) throws -> Double {
        let range = SamplingParameters.penaltyRange
        return try body.double(key, in: Double(range.lowerBound)...Double(range.upperBound)) ?? 0
    }

    /// `repetition_penalty`: > 0 (vLLM refuses 0 and below, as a penalty of
    /// 0 would divide by zero) and at most 100 (1 is off). Nil when absent.
    static func repetitionPenalty(_ body: JSONNode) throws -> Double? {
        let cap = Double(SamplingParameters.maxRepetitionPenalty)
        guard let node = body.optional("repetition_penalty") else { return nil }
        // One range in the message whichever side is passed; a value Float
        // rounds to 0 would divide the logits by zero.
        let value = try node.double()
        guard value > 0, value <= cap, Float(value) > 0 else { throw node.mismatch("a number in (0, \(cap)]") }
        return value
    }

    /// `top_p`: in (0, 1] (1 is off); 0 would keep no token. Nil when absent.
    static func topP(_ body: JSONNode) throws -> Double? {
        guard let node = body.optional("top_p") else { return nil }
        let value = try node.double()
        guard value > 0, value <= 1 else { throw node.mismatch("a number in (0, 1]") }
        return value
    }

    /// `logit_bias`: an object mapping token ids, written as decimal strings
    /// of non-negative integers, to a bias in -100…100 (OpenAI's API
    /// reference), at most `SamplingParameters.maxLogitBiasEntries` of them.
    /// Absent or null is no bias. Whether the ids are in the vocabulary is
    /// for the engine to say: it knows the model.
    static func logitBias(_ node: JSONNode?) throws -> [Int: Double] {
        guard let node else { return [:] }
        let members = try node.members()
        let most = SamplingParameters.maxLogitBiasEntries
        guard members.count <= most else { throw node.mismatch("an object of at most \(most) entries (got \(members.count))") }
        let range = SamplingParameters.logitBiasRange
        var bias: [Int: Double] = [:]
        for (key, value) in members {
            guard let id = tokenID(key) else {
                throw JSONAccessError(path: node.path, expected: "an object whose keys are token ids (decimal integers "
                    + "0...\(Int32.max) without leading zeros)", found: JSONString.quoted(String(key.prefix(40))))
            }
            bias[id] = try value.double(in: Double(range.lowerBound)...Double(range.upperBound))
        }
        return bias
    }

    /// `key` as a token id: ASCII digits, no leading zero, at most Int32.max
    /// (as token ids in a prompt). One spelling per id, so the strict
    /// parser's duplicate-key refusal also catches an id given twice.
    private static func tokenID(_ key: String) -> Int? {
        let digits = Array(key.utf8)
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ (0x30...0x39).contains($0) }),
              digits.count == 1 || digits[0] != 0x30, let id = Int(key), id <= Int(Int32.max) else { return nil }
        return id
    }
}
