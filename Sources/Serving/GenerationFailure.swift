/// Why the engine ended a sequence with `FinishReason.error`.
public enum GenerationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The forward pass produced NaN or ±inf logits for this sequence: its
    /// adapters' weights (times the request's weights) overflow F32 on this
    /// input. The request, not the server, is at fault; nothing is sampled
    /// or encoded from such logits.
    case nonFiniteLogits(position: Int, adapters: String)
    /// The sequence's 16-bit KV cache had to hold `values` finite keys or
    /// values as ±infinity (`SequenceState.overflowedValues`): the model's
    /// keys or values pass the cache format's range (F16: ±65504). What
    /// attention reads is no longer the model's, so the sequence ends here
    /// rather than go on with wrong text; the server's `kv_dtype` is at
    /// fault, not the request.
    case kvCacheOverflow(position: Int, format: String, values: Int)
    /// The engine could not run the step (a bug, not the request's fault).
    case engine(String)

    public var description: String {
        switch self {
        case let .nonFiniteLogits(position, adapters):
            return "the model produced non-finite logits (NaN or infinity) at position \(position) with adapters "
                + "'\(adapters)': their weights overflow F32 on this input (try a smaller adapter weight)"
        case let .kvCacheOverflow(position, format, values):
            return "the \(format) KV cache could not hold \(values) of this sequence's keys and values by position "
                + "\(position): they pass its largest value (F16: ±65504); serve this model with kv_dtype = bf16 or f32"
        case .engine(let message):
            return message
        }
    }
}
