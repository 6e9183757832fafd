/// One term of a per-request adapter mix: `adapter=NAME:0.5` is
/// `AdapterUse(adapter, weight: 0.5)`; `a:0.7,b:0.3` is two of them.
/// The weight multiplies the adapter's own alpha/r scale.
///
/// For a DoRA adapter the forward pass takes weight 1 (apply) or −1 (undo,
/// for rows that must not see a live-merged DoRA adapter); any other weight
/// — 0 included — is first resolved into a reweighted adapter at weight 1
/// (`resolve`).
public struct AdapterUse: Sendable {
    public let adapter: LoRAAdapter
    public let weight: Float
    public init(_ adapter: LoRAAdapter, weight: Float = 1) {
        self.adapter = adapter
        self.weight = weight
    }

    /// Whether this use changes the layers it targets. A plain LoRA adapter
    /// at weight 0 adds nothing (W0 + 0·s·B·A = W0) and is skipped; a DoRA
    /// adapter at weight 0 still rescales every row by g = m / ‖W0‖ — PEFT
    /// at scaling 0 (`LoraLayer.set_scale(adapter, 0)` or `scale_layer(0)`)
    /// computes `DoraLinearLayer.forward` as (m/‖W0‖ − 1)·W0·x added to the
    /// base output, and its merge writes (m/‖W0‖) ⊙ W0 — so it counts.
    public var isActive: Bool { weight != 0 || adapter.isDoRA }

    /// A request's mix as the forward pass, live merge and merge take it:
    /// a weighted DoRA term (any weight but 1, 0 included) becomes its
    /// reweighted adapter at weight 1 (`LoRAAdapter.weighted`); plain LoRA
    /// terms are unchanged.
    /// - Throws: `AdapterError.doraCombination` when a DoRA adapter is mixed
    ///   with any other adapter (no combination of DoRA adapters is defined:
    ///   the factor normalises one W0 + s·B·A); the reweighting's errors.
    public static func resolve(_ uses: [AdapterUse]) throws -> [AdapterUse] {
        try checkCombination(uses)
        return try uses.map { use in
            guard use.adapter.isDoRA, use.weight != 1 else { return use }
            return AdapterUse(try use.adapter.weighted(use.weight), weight: 1)
        }
    }

    /// - Throws: `AdapterError.doraCombination` when a DoRA adapter is mixed
    ///   with another adapter (plain LoRA terms of weight 0 do not count;
    ///   a DoRA term does at any weight, `isActive`).
    public static func checkCombination(_ uses: [AdapterUse]) throws {
        let active = uses.filter(\.isActive)
        if active.count > 1, active.contains(where: { $0.adapter.isDoRA }) {
            throw AdapterError.doraCombination(adapters: active.map { "\($0.adapter.name):\($0.weight)" })
        }
    }
}
