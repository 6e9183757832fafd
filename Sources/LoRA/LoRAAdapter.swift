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
    /// Every targeted linear → its A, B and scale.
    public let modules: [LinearID: LoRAModule]

    public init(name: String, modules: [LinearID: LoRAModule]) {
        self.name = name
        self.modules = modules
    }

    /// Bytes of F32 weights resident for this adapter (the cache budget unit).
    public var byteCount: Int { modules.values.reduce(0) { $0 + $1.byteCount } }
}

/// One term of a per-request adapter mix: `adapter=NAME:0.5` is
/// `AdapterUse(adapter, weight: 0.5)`; `a:0.7,b:0.3` is two of them.
/// The weight multiplies the adapter's own alpha/r scale.
public struct AdapterUse: Sendable {
    public let adapter: LoRAAdapter
    public let weight: Float
    public init(_ adapter: LoRAAdapter, weight: Float = 1) {
        self.adapter = adapter
        self.weight = weight
    }
}
