/// A request that passed `Engine.prepare`'s checks, with what they worked
/// out for queueing it.
struct CheckedRequest: Sendable {
    let request: GenerationRequest
    /// The model's end-of-sequence ids (or the request's own) and its extra stop ids.
    let stopTokenIDs: Set<Int>
    /// Prompt + max new tokens, clamped to what the context leaves.
    let positions: Int
    /// `positions` of KV cache, reserved against the budget at admission.
    let reservedBytes: Int
}
