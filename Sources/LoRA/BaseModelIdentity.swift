/// What is known of the served base model's identity, for the one check that
/// tensor shapes cannot make: two families can have identical linear shapes
/// (a Llama and a Qwen2 of the same size), yet an adapter trained on one is
/// wrong for the other.
///
/// PEFT records the base an adapter was trained on in `adapter_config.json`
/// `base_model_name_or_path` (a hub id such as `Qwen/Qwen2.5-0.5B` or a local
/// folder). When that name names a model family and the served base is of
/// another family, the adapter is refused; a name that matches the base's own
/// names, or names no family at all, is left to the shape checks.
public struct BaseModelIdentity: Sendable, Equatable {
    /// The served base's config.json `model_type`.
    public let modelType: String
    /// Names the base goes by (its folder name, config.json `_name_or_path`).
    public let names: [String]
    /// Every family lorad knows: `model_type` and the lower-case fragments
    /// that identify it in a model name.
    public let familyHints: [FamilyHint]

    public struct FamilyHint: Sendable, Equatable {
        public let modelType: String
        public let fragments: [String]
        public init(modelType: String, fragments: [String]) {
            self.modelType = modelType
            self.fragments = fragments
        }
    }

    public init(modelType: String, names: [String], familyHints: [FamilyHint]) {
        self.modelType = modelType
        self.names = names
        self.familyHints = familyHints
    }

    /// Why an adapter declaring `declared` as its base is not for this model,
    /// or nil when nothing says so. Only the last path component counts (hub
    /// organisations and parent folders say nothing about the model).
    public func mismatch(declaredBase declared: String) -> String? {
        let leaf = Self.leaf(declared)
        guard !leaf.isEmpty, !names.contains(where: { Self.leaf($0) == leaf }) else { return nil }
        let named = familyHints.filter { hint in hint.fragments.contains { leaf.contains($0) } }.map(\.modelType)
        guard !named.isEmpty, !named.contains(modelType) else { return nil }
        let served = names.first.map { "\($0), " } ?? ""
        return "names a \(named.joined(separator: "/")) model, but this server's base (\(served)model_type \(modelType)) is not one"
    }

    /// The lower-cased last path component of a hub id or folder path.
    static func leaf(_ name: String) -> String {
        name.lowercased().split(separator: "/").last.map(String.init) ?? ""
    }
}
