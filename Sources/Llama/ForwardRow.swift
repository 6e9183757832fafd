/// One row of a forward batch: a token at a position of some sequence.
///
/// Prefill is many rows of the same sequence (consecutive positions); decode
/// is one row per sequence; a batch may mix both. Rows of one sequence must
/// appear in position order and continue its cache (`position` = the cache
/// length, then +1 per row).
public struct ForwardRow: Sendable {
    public let sequence: SequenceState
    public let token: Int
    public let position: Int
    /// Whether to compute this row's logits (the vocab-wide lm_head is the
    /// largest matmul; a prefill needs only its last row's).
    public let needsLogits: Bool

    public init(sequence: SequenceState, token: Int, position: Int, needsLogits: Bool = true) {
        self.sequence = sequence
        self.token = token
        self.position = position
        self.needsLogits = needsLogits
    }
}
