import OrderedJSON

// Fields OpenAI, vLLM or llama.cpp clients send that lorad does not
// implement. At their defaults they are accepted (clients send them
// regardless); any other value is refused naming the field, rather than
// silently answering something other than what was asked.
extension GenerationFields {
    static func refuseUnsupported(_ body: JSONNode) throws {
        // OpenAI's `suffix` (text after the insertion); vLLM refuses it too.
        if let suffix = try body.string("suffix"), !suffix.isEmpty {
            throw JSONAccessError(path: "suffix", expected: "empty or absent (suffix is not supported)",
                                  found: JSONString.quoted(String(suffix.prefix(40))))
        }
        // llama.cpp's per-request adapter list ([{"id", "scale"}]): ids index
        // llama-server's start-up adapters, which lorad does not have.
        if let lora = body.optional("lora"), try !lora.array().isEmpty {
            throw lora.mismatch("absent or [] (llama.cpp's per-request `lora` list is not supported: name adapters with "
                + "\"adapter\", ?adapter= or \"model\", e.g. \"adapter\": \"NAME:0.5,OTHER:0.5\")")
        }
        if try body.bool("use_beam_search") == true {
            throw JSONAccessError(path: "use_beam_search", expected: "false (beam search is not supported)", found: "true")
        }
        // vLLM's `bad_words`: banning multi-token sequences needs the
        // tokenizer's every spelling of each word (absent or [] is no ban).
        if let badWords = body.optional("bad_words"), try !badWords.array().isEmpty {
            throw badWords.mismatch("absent or [] (bad_words is not supported: ban single tokens with logit_bias -100)")
        }
        // vLLM's guided decoding (constrained output): not implemented, and
        // ignoring it would answer free text where a schema was promised.
        for key in ["guided_json", "guided_regex", "guided_choice", "guided_grammar", "structured_outputs"] {
            if let node = body.optional(key) {
                throw node.mismatch("absent or null (constrained output such as \(key) is not supported)")
            }
        }
        // OpenAI's `response_format` (chat) and vLLM's (completions too).
        if let format = body.optional("response_format") {
            let type = try format.required("type").string()
            guard type == "text" else {
                throw JSONAccessError(path: "response_format.type", expected: "\"text\" (constrained output such as "
                    + "json_object or json_schema is not supported)", found: JSONString.quoted(type))
            }
        }
        if try body.bool("return_tokens_as_token_ids") == true {
            throw JSONAccessError(path: "return_tokens_as_token_ids", expected: "false (not supported)", found: "true")
        }
    }
}
