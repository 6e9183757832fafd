/// One LoRA tensor name in `adapter_model.safetensors` (a low-rank factor or
/// a DoRA magnitude vector), parsed; anything else is refused.
///
/// PEFT's `save_pretrained` writes `base_model.model.<module path>.lora_A.weight`
/// and `.lora_B.weight`: `get_peft_model_state_dict` strips the adapter name
/// (`…lora_A.default.weight` in memory → `…lora_A.weight` on disk), and
/// `set_peft_model_state_dict` inserts it again on load. So a file carrying an
/// adapter name was not written by PEFT and PEFT itself would not load those
/// tensors (they become unexpected keys): we refuse it with a message rather
/// than guess. The `base_model.model.` prefix is optional here, as in PEFT's
/// loader, which strips it when the target model has no such prefix.
///
/// A DoRA adapter (`use_dora`) adds `<module path>.lora_magnitude_vector`
/// with no `.weight` suffix: `get_peft_model_state_dict` cuts it from the
/// in-memory `lora_magnitude_vector.<adapter>.weight` so the file format
/// stayed as it was before PEFT's DoRA layer refactor. The `.weight` form is
/// accepted too, because `set_peft_model_state_dict` inserts the adapter name
/// before a `.weight` suffix and so loads it to the same parameter.
struct AdapterTensorName: Equatable {
    enum Factor: Equatable { case a, b, magnitude }
    /// The full module path, e.g. `model.layers.0.self_attn.q_proj`.
    let module: String
    /// Which tensor of that module: a low-rank factor or the DoRA magnitude.
    let factor: Factor

    static let peftPrefix = "base_model.model."

    static func parse(_ tensor: String) throws -> AdapterTensorName {
        let name = tensor.hasPrefix(peftPrefix) ? String(tensor.dropFirst(peftPrefix.count)) : tensor
        for (suffix, factor) in [(".lora_A.weight", Factor.a), (".lora_B.weight", Factor.b),
                                 (".lora_magnitude_vector", Factor.magnitude),
                                 (".lora_magnitude_vector.weight", Factor.magnitude)] where name.hasSuffix(suffix) {
            let module = String(name.dropLast(suffix.count))
            if isEmbeddingOrHead(module) { throw AdapterError.embeddingLoRA(tensor: tensor) }
            return AdapterTensorName(module: module, factor: factor)
        }
        let parts = name.split(separator: ".").map(String.init)
        if parts.contains(where: { $0.hasPrefix("lora_embedding_") }) {
            throw AdapterError.embeddingLoRA(tensor: tensor)
        }
        if let i = parts.firstIndex(where: { $0 == "lora_A" || $0 == "lora_B" || $0 == "lora_magnitude_vector" }) {
            if parts.last == "bias" {
                throw AdapterError.unexpectedTensor(tensor: tensor, reason: "a LoRA bias (lora_bias) is not supported")
            }
            let isMagnitude = parts[i] == "lora_magnitude_vector"
            let named = parts.count == i + 3 && parts.last == "weight" || isMagnitude && parts.count == i + 2
            if named {
                let expected = isMagnitude ? "<module>.lora_magnitude_vector" : "<module>.\(parts[i]).weight"
                throw AdapterError.unexpectedTensor(
                    tensor: tensor,
                    reason: "it carries an adapter name ('\(parts[i + 1])'); PEFT's save_pretrained writes "
                        + "'\(expected)' without one")
            }
        }
        if let module = parts.dropLast().joined(separator: ".") as String?, isEmbeddingOrHead(module) {
            // A full embed_tokens / lm_head weight: modules_to_save or trainable tokens.
            throw AdapterError.embeddingLoRA(tensor: tensor)
        }
        throw AdapterError.unexpectedTensor(
            tensor: tensor, reason: "not a LoRA tensor ('<module>.lora_A.weight', '<module>.lora_B.weight' "
                + "or, with use_dora, '<module>.lora_magnitude_vector')")
    }

    /// `embed_tokens` anywhere in the path (`model.embed_tokens`) or the output head `lm_head`.
    static func isEmbeddingOrHead(_ module: String) -> Bool {
        let last = module.split(separator: ".").last.map(String.init) ?? module
        return last == "embed_tokens" || last == "lm_head"
    }
}
