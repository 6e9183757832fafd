/// A queued request as admission sees it.
protocol AdmissionCandidate {
    /// Stable for the request's life (the reservation below is keyed by it).
    var admissionID: UInt64 { get }
    /// One opaque key per distinct adapter the request runs (empty for the
    /// base model): what `max_loras` counts. Two copies of one name (a
    /// replaced adapter's old and new versions) are two keys.
    var adapterSlots: Set<String> { get }
    /// KV bytes it reserves when admitted.
    var reservedBytes: Int { get }
}
