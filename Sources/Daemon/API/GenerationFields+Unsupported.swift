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
        // vLLM's `min_p` (0 = off): its order against top-p differs between
        // transformers and vLLM, so there is no one meaning to implement.
        if let minP = body.optional("min_p"), try minP.double(in: 0...1) != 0 {
            throw minP.mismatch("0 (min_p is not supported)")
        }
        // vLLM's `min_tokens` would have to hold back EOS and stop strings.
        if let minTokens = body.optional("min_tokens"), try minTokens.int(in: 0...Int.max) != 0 {
            throw minTokens.mismatch("0 (min_tokens is not supported)")
        }
        if try body.bool("use_beam_search") == true {
            throw JSONAccessError(path: "use_beam_search", expected: "false (beam search is not supported)", found: "true")
        }
    }
}
