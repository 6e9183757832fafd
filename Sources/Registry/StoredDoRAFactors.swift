import Foundation

/// A DoRA adapter's per-row factors as the registry keeps them: opaque to
/// the registry (it knows no model types), encoded and checked by the
/// loader's side. They hold only against the base they were computed on,
/// so they are stored and found by that base's fingerprint.
public struct StoredDoRAFactors: Sendable, Equatable {
    /// Which resident base they were computed against (an opaque
    /// fingerprint the daemon derives from the base's weights).
    public let baseFingerprint: String
    /// The modules, in the order of `factors`, as the encoder wrote them.
    public let modules: String
    /// The factors of every module, back to back.
    public let factors: Data

    public init(baseFingerprint: String, modules: String, factors: Data) {
        self.baseFingerprint = baseFingerprint
        self.modules = modules
        self.factors = factors
    }
}
