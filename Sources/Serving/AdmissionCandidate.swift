/// A queued request as admission sees it.
protocol AdmissionCandidate {
    /// Stable for the request's life (the reservation below is keyed by it).
    var admissionID: UInt64 { get }
    /// The distinct adapters the request names (empty for the base model).
    var adapterNames: Set<String> { get }
    /// KV bytes it reserves when admitted.
    var reservedBytes: Int { get }
}
