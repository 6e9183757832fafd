/// Why the engine ended a sequence with `FinishReason.error`.
public enum GenerationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The forward pass produced NaN or ±inf logits for this sequence: its
    /// adapters' weights (times the request's weights) overflow F32 on this
    /// input. The request, not the server, is at fault; nothing is sampled
    /// or encoded from such logits.
    case nonFiniteLogits(position: Int, adapters: String)
    /// The engine could not run the step (a bug, not the request's fault).
    case engine(String)

    public var description: String {
        switch self {
        case let .nonFiniteLogits(position, adapters):
            return "the model produced non-finite logits (NaN or infinity) at position \(position) with adapters "
                + "'\(adapters)': their weights overflow F32 on this input (try a smaller adapter weight)"
        case .engine(let message):
            return message
        }
    }
}
