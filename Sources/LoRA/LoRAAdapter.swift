/// A validated, immutable adapter: the low-rank pairs of every linear it targets.
///
/// Immutable so one instance can be shared by every sequence and thread that
/// uses it. Applying it per request leaves the base weights untouched (it is
/// data passed into the forward pass, like llama.cpp's `llama_adapter_lora`);
/// only a live merge (`LiveMerge`, `PUT /merged`) adds its delta into the
/// base weights, and that merge restores W0 exactly when undone.
public final class LoRAAdapter: Sendable {
    /// The name it is served under (registry name, or folder name offline).
    public let name: String
    /// Every targeted linear → its A, B and scale (and DoRA vectors).
    public let modules: [LinearID: LoRAModule]
    /// For a DoRA adapter loaded against a base: the factors at other weights
    /// (`weighted(_:)`); nil otherwise.
    let weighting: DoRAWeighting?

    public convenience init(name: String, modules: [LinearID: LoRAModule]) {
        self.init(name: name, modules: modules, weighting: nil)
    }

    init(name: String, modules: [LinearID: LoRAModule], weighting: DoRAWeighting?) {
        self.name = name
        self.modules = modules
        self.weighting = weighting
        isDoRA = modules.values.contains { $0.isDoRA }
        missingFactor = modules.keys.sorted().first { modules[$0]?.isDoRA == true && modules[$0]?.doraFactor == nil }
    }

    /// A DoRA adapter built in memory (benchmarks, tests): every module must
    /// carry its magnitude vector; the factors are computed against `base`.
    public static func dora(name: String, modules: [LinearID: LoRAModule], base: some BaseLinears) throws -> LoRAAdapter {
        var prepared: [LinearID: LoRAModule] = [:]
        for (id, module) in modules {
            guard let m = module.magnitude else {
                throw AdapterError.missingMagnitude(module: id.modulePath, tensor: id.modulePath + ".lora_magnitude_vector")
            }
            let g = try DoRAFactors.compute(module: module, magnitude: m, scale: module.scale, id: id, base: base)
            prepared[id] = module.rescaled(module.scale, doraFactor: g)
        }
        return LoRAAdapter(name: name, modules: prepared, weighting: DoRAWeighting(base: base))
    }

    /// Whether this is a DoRA adapter (its modules scale their output rows).
    public let isDoRA: Bool
    /// A DoRA module built without its factor (not servable; use `dora(name:modules:base:)`).
    let missingFactor: LinearID?

    /// Bytes of F32 weights resident for this adapter (the cache budget unit).
    public var byteCount: Int { modules.values.reduce(0) { $0 + $1.byteCount } }

    /// This adapter as `NAME:weight` uses it. Plain LoRA: itself (the weight
    /// multiplies its delta, `AdapterUse.weight`). DoRA: an adapter whose
    /// scale is weight·s and whose factors are recomputed for that scale —
    /// PEFT's meaning of a scaled DoRA adapter (`LoraLayer.set_scale` /
    /// `scale_layer` change `scaling`, and `DoraLinearLayer.forward` takes the
    /// norm with the current scaling) — cached per weight so requests with the
    /// same weight share one instance (and one batch group).
    /// - Throws: `AdapterError.doraZeroNorm` when a row's norm vanishes at
    ///   that weight; `.baseWeightsUnavailable` for a DoRA adapter built
    ///   without a base.
    public func weighted(_ weight: Float) throws -> LoRAAdapter {
        guard isDoRA, weight != 1 else { return self }
        guard let weighting else {
            throw AdapterError.baseWeightsUnavailable(module: modules.keys.min()?.modulePath ?? name)
        }
        return try weighting.adapter(self, weight: weight)
    }
}
