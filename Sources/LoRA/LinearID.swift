/// The seven projection kinds of a Llama decoder layer that LoRA can target.
///
/// Raw values are the module names transformers uses in
/// `LlamaAttention` / `LlamaMLP` (modeling_llama.py), which are also the
/// names PEFT matches `target_modules` against.
public enum LinearKind: String, CaseIterable, Sendable, Hashable, Comparable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// `self_attn` or `mlp`: the parent module in the transformers tree.
    public var parent: String {
        switch self {
        case .q, .k, .v, .o: return "self_attn"
        case .gate, .up, .down: return "mlp"
        }
    }

    public static func < (a: LinearKind, b: LinearKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One linear layer of the base model: layer index + projection kind.
///
/// This is the key shared by the model (which owns W0) and adapters (which
/// own A and B for some subset of these): the model knows nothing of PEFT key
/// names and adapters know nothing of how the model stores W0.
public struct LinearID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let layer: Int
    public let kind: LinearKind

    public init(layer: Int, kind: LinearKind) {
        self.layer = layer
        self.kind = kind
    }

    /// The transformers module path, e.g. `model.layers.3.self_attn.q_proj`.
    /// PEFT matches `target_modules`, `rank_pattern` and `alpha_pattern`
    /// against this name.
    public var modulePath: String { "model.layers.\(layer).\(kind.parent).\(kind.rawValue)" }

    /// The checkpoint tensor name of the frozen weight (`<modulePath>.weight`).
    public var weightName: String { modulePath + ".weight" }

    public var description: String { modulePath }

    public static func < (a: LinearID, b: LinearID) -> Bool {
        (a.layer, a.kind) < (b.layer, b.kind)
    }
}

/// The shape of a linear's weight as stored by PyTorch: (out, in).
public struct LinearShape: Hashable, Sendable, CustomStringConvertible {
    public let outFeatures: Int
    public let inFeatures: Int
    public init(outFeatures: Int, inFeatures: Int) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }
    public var description: String { "(\(outFeatures), \(inFeatures))" }
}
