extension LinearID {
    /// Parses a transformers module path such as `model.layers.3.self_attn.q_proj`
    /// (the inverse of `modulePath`). Nil for anything else, including a
    /// projection under the wrong parent (`mlp.q_proj`) or a non-canonical index (`03`).
    public init?(modulePath: String) {
        let parts = modulePath.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "model", parts[1] == "layers",
              let layer = Int(parts[2]), layer >= 0, String(layer) == parts[2],
              let kind = LinearKind(rawValue: String(parts[4])), parts[3] == kind.parent
        else { return nil }
        self.init(layer: layer, kind: kind)
    }
}
