/// The stored outcome of validating one adapter version against one base
/// model, so a restart need not load and validate every adapter again.
public struct AdapterCheck: Sendable, Equatable {
    /// The version that was checked (`AdapterRecord.generation`).
    public let generation: Int64
    /// The base it was checked against: an opaque fingerprint the daemon
    /// derives from the base's config and tensor shapes.
    public let baseFingerprint: String
    /// Why the adapter cannot be served on that base, or nil when it passed.
    public let problem: String?

    public init(generation: Int64, baseFingerprint: String, problem: String?) {
        self.generation = generation
        self.baseFingerprint = baseFingerprint
        self.problem = problem
    }
}
