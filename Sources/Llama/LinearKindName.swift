import LoRA

/// Maps checkpoint tensor names back to projection kinds.
enum LinearKindName {
    /// `model.layers.N.self_attn.q_proj.weight` → .q, etc.; nil for other tensors.
    static func kind(of tensorName: String) -> LinearKind? {
        LinearKind.allCases.first { tensorName.hasSuffix(".\($0.parent).\($0.rawValue).weight") }
    }
}
