/// The sequences of one request (its prompts × `n` choices), checked and
/// holding one adapter lease between them: `Engine.prepare` makes it,
/// `Engine.submit(_:onEvent:)` queues all of it or none.
///
/// Why one lease for the group: a request names its adapters once, so each
/// of its sequences must run the same version of them, as each would alone.
/// Leased sequence by sequence, a replace landing between two leases (its
/// `AdapterCache.invalidate`) served some choices of one response with the
/// old weights and the rest with the new.
public struct SequenceGroup: Sendable {
    let members: [CheckedRequest]
    /// Shared by every sequence; released when the last of them ends, or
    /// when the group is dropped without being queued.
    public let lease: AdapterLease

    /// How many sequences (queue slots) the group takes.
    public var count: Int { members.count }
}
